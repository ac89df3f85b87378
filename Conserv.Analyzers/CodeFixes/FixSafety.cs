using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FindSymbols;

namespace Conserv.Analyzers.CodeFixes;

/// <summary>
/// Whether a fix keeps the code compiling: a fix that would add a compiler error (a member the new parameter type lacks,
/// CS1061; a method group whose delegate no longer matches, CS0407) is not offered.
/// </summary>
internal static class FixSafety
{
    /// <summary>
    /// Whether <paramref name="changed"/> has no compiler error that <paramref name="original"/> lacks, in the fixed document and in
    /// every document that references <paramref name="changedSymbol"/> (counted by ID: locations move with the edit).
    /// </summary>
    public static async Task<bool> AddsNoErrorAsync(Document original, Document changed, ISymbol? changedSymbol, CancellationToken cancellationToken)
    {
        var documents = new HashSet<DocumentId> { original.Id };
        if (changedSymbol is not null)
        {
            IEnumerable<ReferencedSymbol> references = await SymbolFinder
                .FindReferencesAsync(changedSymbol, original.Project.Solution, cancellationToken).ConfigureAwait(false);
            foreach (ReferenceLocation location in references.SelectMany(r => r.Locations))
            {
                documents.Add(location.Document.Id);
            }
        }

        foreach (DocumentId id in documents)
        {
            Dictionary<string, int> before = await ErrorsAsync(original.Project.Solution.GetDocument(id), cancellationToken).ConfigureAwait(false);
            Dictionary<string, int> after = await ErrorsAsync(changed.Project.Solution.GetDocument(id), cancellationToken).ConfigureAwait(false);
            if (after.Any(e => e.Value > (before.TryGetValue(e.Key, out int count) ? count : 0)))
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<Dictionary<string, int>> ErrorsAsync(Document? document, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, int>();
        if (document is null || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model)
        {
            return errors;
        }

        foreach (Diagnostic diagnostic in model.GetDiagnostics(cancellationToken: cancellationToken))
        {
            if (diagnostic.Severity == DiagnosticSeverity.Error)
            {
                errors[diagnostic.Id] = errors.TryGetValue(diagnostic.Id, out int count) ? count + 1 : 1;
            }
        }

        return errors;
    }
}
