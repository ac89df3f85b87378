import sys, re, collections
# perf script output: header line then indented frames "addr sym (dso)"
cats=collections.Counter(); total=0
def classify(frames):
    syms=[f[0] for f in frames]; leafdso=frames[0][1] if frames else ''
    sc=None
    for s in syms:
        m=re.match(r'__x64_sys_(\w+)',s)
        if m: sc=m.group(1); break
    rx = any(s.startswith('net_rx_action') for s in syms)
    if sc:
        kern = 'kernel' in leafdso
        if not kern: return 'user:'+leafdso
        return ('softirq-in-' if rx else '')+'sys_'+sc
    if 'kernel' in leafdso: return 'kernel-other'+(' (softirq)' if rx else '')
    if 'perf-' in leafdso or 'JIT' in leafdso: return 'user:JIT'
    return 'user:'+leafdso.split('/')[-1]
frames=[]; 
for line in sys.stdin:
    if not line.strip():
        if frames: cats[classify(frames)]+=1; total+=1
        frames=[]; continue
    if line[0] not in ' \t': frames=[]; continue
    m=re.match(r'\s+[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$',line)
    if m: frames.append((m.group(1),m.group(2)))
if frames: cats[classify(frames)]+=1; total+=1
for k,v in cats.most_common(25): print(f"{100*v/total:6.2f}%  {k}")
print(total)
