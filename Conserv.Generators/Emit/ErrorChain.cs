using System.Collections.Generic;
using System.Linq;
using Conserv.Generators.Model;

namespace Conserv.Generators.Emit;

/// <summary>Orders the error handlers of a driver and its bases into one type-test chain.</summary>
internal static class ErrorChain
{
    /// <summary>
    /// The handlers to test for <paramref name="errorEvent"/>, most derived exception type first. For one
    /// exception type only the most derived driver's handler is kept. An exception is an instance of
    /// two unrelated exception types never, so ordering by depth below <c>System.Exception</c> suffices.
    /// </summary>
    public static IReadOnlyList<HandlerModel> Build(DriverModel driver, DriverEvent errorEvent)
    {
        return driver.Handlers.Concat(driver.BaseErrorHandlers)
            .Where(h => h.Event == errorEvent)
            .GroupBy(h => h.ExceptionType)
            .Select(g => g.OrderBy(h => h.Level).First())
            .OrderByDescending(h => h.ExceptionDepth)
            .ThenBy(h => h.Level)
            .ThenBy(h => h.ExceptionType, System.StringComparer.Ordinal)
            .ToList();
    }
}
