using System;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace Conserv.Analyzers.CodeFixes;

/// <summary>
/// Fix all for fixes whose edits may touch the same node (a shared containing type, one using directive):
/// each document is fixed once, with all its diagnostics, by the same function as the single fix.
/// </summary>
internal sealed class DocumentFixAll : DocumentBasedFixAllProvider
{
    private readonly Func<Document, ImmutableArray<Diagnostic>, CancellationToken, Task<Document>> _fix;

    private DocumentFixAll(Func<Document, ImmutableArray<Diagnostic>, CancellationToken, Task<Document>> fix) => _fix = fix;

    public static FixAllProvider Create(Func<Document, ImmutableArray<Diagnostic>, CancellationToken, Task<Document>> fix) => new DocumentFixAll(fix);

    protected override async Task<Document?> FixAllAsync(FixAllContext fixAllContext, Document document, ImmutableArray<Diagnostic> diagnostics) =>
        diagnostics.IsEmpty ? document : await _fix(document, diagnostics, fixAllContext.CancellationToken).ConfigureAwait(false);
}
