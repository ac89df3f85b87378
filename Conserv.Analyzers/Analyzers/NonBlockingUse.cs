using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Conserv.Analyzers;

/// <summary>
/// The non-blocking uses of members <see cref="BlockingMembers"/> lists, which CONSERV009 does not report:
/// a zero timeout (<c>gate.Wait(0)</c>, <c>gate.Wait(TimeSpan.Zero)</c>, <c>handle.WaitOne(0)</c>), and the result of a
/// task the code has just checked to be complete (<c>if (task.IsCompleted) use(task.Result)</c>, <c>task.IsCompletedSuccessfully ? task.Result : …</c>,
/// or after <c>if (!task.IsCompleted) return;</c>).
/// </summary>
internal static class NonBlockingUse
{
    public static bool Applies(IOperation operation, CancellationToken cancellationToken)
    {
        if (operation is IInvocationOperation invocation)
        {
            foreach (IArgumentOperation argument in invocation.Arguments)
            {
                if (argument.Parameter?.Name is "millisecondsTimeout" or "timeout" && IsZero(argument.Value))
                {
                    return true;
                }
            }
        }

        IOperation? task = operation switch
        {
            IPropertyReferenceOperation { Property.Name: "Result" } result => result.Instance,
            IInvocationOperation { TargetMethod.Name: "GetResult", Instance: IInvocationOperation { TargetMethod.Name: "GetAwaiter" } awaiter } => awaiter.Instance,
            IInvocationOperation { TargetMethod.Name: "Wait", TargetMethod.ContainingType.Name: "Task" } wait => wait.Instance,
            _ => null,
        };

        return task is not null
            && operation.SemanticModel is { } model
            && Referenced(task) is { } symbol
            && IsCheckedComplete(operation.Syntax, symbol, model, cancellationToken);
    }

    private static bool IsZero(IOperation value)
    {
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        return value.ConstantValue is { HasValue: true, Value: 0 or 0L or 0u }
            || value is IFieldReferenceOperation { Field: { Name: "Zero", ContainingType: { Name: "TimeSpan", ContainingNamespace.Name: "System" } } };
    }

    /// <summary>The local, parameter, field or property the task expression reads (it cannot change between the check and the use without an assignment).</summary>
    private static ISymbol? Referenced(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation property => property.Property,
            _ => null,
        };
    }

    /// <summary>Whether <paramref name="node"/> runs only where <paramref name="task"/> is known to be complete.</summary>
    private static bool IsCheckedComplete(SyntaxNode node, ISymbol task, SemanticModel model, CancellationToken cancellationToken)
    {
        bool Asserts(ExpressionSyntax condition, bool whenTrue) => AssertsComplete(condition, whenTrue, task, model, cancellationToken);

        for (SyntaxNode child = node, parent = node.Parent!; parent is not null && child is not MemberDeclarationSyntax; child = parent, parent = parent.Parent!)
        {
            switch (parent)
            {
                case IfStatementSyntax branch when child == branch.Statement && Asserts(branch.Condition, true):
                case ElseClauseSyntax { Parent: IfStatementSyntax elseOf } when Asserts(elseOf.Condition, false):
                case ConditionalExpressionSyntax c when (child == c.WhenTrue && Asserts(c.Condition, true)) || (child == c.WhenFalse && Asserts(c.Condition, false)):
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression } both when child == both.Right && Asserts(both.Left, true):
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalOrExpression } either when child == either.Right && Asserts(either.Left, false):
                    return true;

                case BlockSyntax block when child is StatementSyntax statement:
                    // An earlier 'if (!task.IsCompleted) return;' (or throw) in the same block.
                    foreach (StatementSyntax earlier in block.Statements)
                    {
                        if (earlier == statement)
                        {
                            break;
                        }

                        if (earlier is IfStatementSyntax { Else: null } exit && AlwaysLeaves(exit.Statement) && Asserts(exit.Condition, false))
                        {
                            return true;
                        }
                    }

                    break;
            }
        }

        return false;
    }

    private static bool AlwaysLeaves(StatementSyntax statement) => statement switch
    {
        ReturnStatementSyntax or ThrowStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax => true,
        BlockSyntax { Statements: { Count: > 0 } statements } => AlwaysLeaves(statements[statements.Count - 1]),
        ExpressionStatementSyntax { Expression: ThrowExpressionSyntax } => true,
        _ => false,
    };

    /// <summary>Whether <paramref name="condition"/> evaluating to <paramref name="whenTrue"/> means <paramref name="task"/> is complete.</summary>
    private static bool AssertsComplete(ExpressionSyntax condition, bool whenTrue, ISymbol task, SemanticModel model, CancellationToken cancellationToken)
    {
        bool Asserts(ExpressionSyntax e, bool value) => AssertsComplete(e, value, task, model, cancellationToken);

        switch (condition)
        {
            case ParenthesizedExpressionSyntax parenthesized:
                return Asserts(parenthesized.Expression, whenTrue);
            case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } negation:
                return Asserts(negation.Operand, !whenTrue);
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression } both:
                return whenTrue ? Asserts(both.Left, true) || Asserts(both.Right, true) : Asserts(both.Left, false) && Asserts(both.Right, false);
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalOrExpression } either:
                return whenTrue ? Asserts(either.Left, true) && Asserts(either.Right, true) : Asserts(either.Left, false) || Asserts(either.Right, false);
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression or (int)SyntaxKind.NotEqualsExpression } equality
                when BoolLiteral(equality.Right) is { } literal:
                return Asserts(equality.Left, whenTrue == (literal == equality.IsKind(SyntaxKind.EqualsExpression)));
            case IsPatternExpressionSyntax { Pattern: ConstantPatternSyntax { Expression: var constant } } pattern when BoolLiteral(constant) is { } literal:
                return Asserts(pattern.Expression, whenTrue == literal);
            case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "IsCompleted" or "IsCompletedSuccessfully" } access:
                return whenTrue && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(access.Expression, cancellationToken).Symbol, task);
            default:
                return false;
        }
    }

    private static bool? BoolLiteral(ExpressionSyntax expression) => expression.Kind() switch
    {
        SyntaxKind.TrueLiteralExpression => true,
        SyntaxKind.FalseLiteralExpression => false,
        _ => null,
    };
}
