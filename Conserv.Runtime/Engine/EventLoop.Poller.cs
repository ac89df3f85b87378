using System.Collections.Generic;
using Conserv.Interop;

namespace Conserv;

// What the loop's epoll watches: sockets, listeners and the wake-up descriptor, each in a slot of _targets whose index
// is the epoll event's data; and what keeps the loop alive (_open).
public sealed unsafe partial class EventLoop
{
    private readonly List<IPollTarget?> _targets = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly List<int> _slotsFreedThisBatch = new();

    /// <summary>The loop's epoll descriptor: tests read what it watches from /proc/self/fdinfo.</summary>
    internal int PollDescriptor => _epoll;

    // ---- registration of sockets, listeners and the wake-up descriptor --------------------------

    /// <summary>Keeps a target counted as open (so <see cref="Run"/> does not end) until <see cref="Forget"/>.</summary>
    internal void Track(IPollTarget target) => _open.Add(target);

    internal void Forget(IPollTarget target) => _open.Remove(target);

    /// <summary>Adds <paramref name="fd"/> to epoll; returns the slot that identifies it in events.</summary>
    internal int Register(IPollTarget target, int fd, uint events)
    {
        int slot;
        if (_freeSlots.Count > 0)
        {
            slot = _freeSlots.Pop();
            _targets[slot] = target;
        }
        else
        {
            slot = _targets.Count;
            _targets.Add(target);
        }

        if (Control(Libc.EPOLL_CTL_ADD, fd, slot, events) != 0)
        {
            int errno = Libc.Errno;
            _targets[slot] = null;
            _freeSlots.Push(slot);
            throw Errno.Exception(errno, "epoll_ctl(ADD)");
        }

        return slot;
    }

    /// <summary>How many sockets and listeners epoll watches for this loop now (for tests: a closed socket leaves).</summary>
    internal int RegisteredTargets
    {
        get
        {
            int count = 0;
            foreach (var target in _targets)
            {
                count += target is null ? 0 : 1;
            }

            return count;
        }
    }

    internal void Modify(int fd, int slot, uint events)
    {
        if (Control(Libc.EPOLL_CTL_MOD, fd, slot, events) != 0)
        {
            throw Errno.Exception(Libc.Errno, "epoll_ctl(MOD)");
        }
    }

    /// <summary>Removes <paramref name="fd"/> from epoll. The slot is reused only after the current batch of events.</summary>
    internal void Unregister(int fd, int slot)
    {
        Control(Libc.EPOLL_CTL_DEL, fd, slot, 0);
        _targets[slot] = null;
        _slotsFreedThisBatch.Add(slot);
    }

    private int Control(int op, int fd, int slot, uint events)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + Libc.EpollDataOffset) = (ulong)slot;
        return Libc.epoll_ctl(_epoll, op, fd, ev);
    }
}
