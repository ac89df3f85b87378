// The runtime is Linux-only (epoll), and so are these tests (Unix file modes, Unix-domain sockets).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
