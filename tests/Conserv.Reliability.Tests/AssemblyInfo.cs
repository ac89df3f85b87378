// Each test holds thousands of sockets in this process and thousands more in its server child, on a 2-core box
// with a 20,000-descriptor limit per process: run them strictly one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
