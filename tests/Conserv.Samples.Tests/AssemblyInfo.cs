// Each test starts real processes; run the classes one after another so a loaded 2-core CI box is not
// flooded with sample processes and their clients at once.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
