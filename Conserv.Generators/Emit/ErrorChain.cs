using System.Collections.Generic;
using System.Linq;
using Conserv.Generators.Model;

namespace Conserv.Generators.Emit;

/// <summary>Orders the error handlers of a driver into one type-test chain.</summary>
internal static class ErrorChain
{
    /// <summary>
    /// The driver's own handlers for <paramref name="errorEvent"/>, most derived exception type first. An exception is
    /// an instance of two exception types only if one derives from the other, so ordering by depth below
    /// <c>System.Exception</c> suffices; the name only makes the order of unrelated types of one depth stable.
    /// </summary>
    public static IReadOnlyList<HandlerModel> Build(DriverModel driver, DriverEvent errorEvent)
    {
        return driver.Handlers
            .Where(h => h.Event == errorEvent)
            .OrderByDescending(h => h.ExceptionDepth)
            .ThenBy(h => h.ExceptionType, System.StringComparer.Ordinal)
            .ToList();
    }
}
