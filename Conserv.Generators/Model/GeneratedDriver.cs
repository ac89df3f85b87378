namespace Conserv.Generators.Model;

/// <summary>A driver and the hint name of its generated part (unique ignoring case among all drivers, see <c>HintNames</c>).</summary>
/// <param name="Driver">The driver.</param>
/// <param name="HintName">Its file name.</param>
internal sealed record GeneratedDriver(DriverModel Driver, string HintName);
