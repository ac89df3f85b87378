using System;
using System.IO;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv;

// Where each server event is raised: Activate (listen), OnPoll (accept → connection), RaiseError, and
// Finish (close, after the last client's close).
public sealed partial class TcpServer
{
    private const int MaxAcceptsPerPoll = 64;

    /// <summary>
    /// Errors the next accepts report, in order, before the kernel is asked again. Tests only: Linux does not make
    /// accept fail with ECONNABORTED, EPROTO or EPERM on loopback, nor run out of memory on demand. Loop thread only.
    /// </summary>
    internal System.Collections.Generic.Queue<int>? InjectedAcceptErrors { get; set; }

    /// <summary>Runs on the loop: registers the listener and raises the listen event.</summary>
    private void Activate()
    {
        // A server closed before it got here (Close() in the same turn as Listen) is already finished and
        // forgotten: tracking it again would keep a loop started by EventLoop.Run alive forever.
        if (_state != ServerState.Starting)
        {
            return;
        }

        _loop.Track(this);
        _ = _loop.Spare; // opened now: once descriptors run out, it could not be

        _state = ServerState.Listening;
        if (_fd >= 0) // a listener in memory (Transport/TcpServer.Transport.cs) has no descriptor to watch
        {
            _slot = _loop.Register(this, _fd, _paused ? 0 : Libc.EPOLLIN);
            _registered = true;
        }

        if (_loop.ServerLog is { } log)
        {
            RuntimeLog.Listening(log, ToString());
        }

        if (_serverDriver is { } driver)
        {
            Dispatch(static (d, s, _) => d.OnServerListen(s), driver, null);
        }
    }

    unsafe void IPollTarget.OnPoll(uint events)
    {
        byte* sockaddr = stackalloc byte[SockAddr.MaxSize];
        for (int i = 0; i < MaxAcceptsPerPoll && _state == ServerState.Listening && !_paused && !AcceptSuspended; i++)
        {
            int length = SockAddr.MaxSize;
            int fd = InjectedAcceptErrors is { Count: > 0 } injected
                ? FailAccept(injected.Dequeue())
                : Libc.accept4(_fd, sockaddr, &length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            if (fd < 0)
            {
                int errno = Libc.Errno;
                if (errno == Libc.EAGAIN)
                {
                    return;
                }

                // The client gave up before we took it, a firewall refused it, or a signal interrupted: next one.
                if (errno is Libc.EINTR or Libc.ECONNABORTED or Libc.EPROTO or Libc.EPERM)
                {
                    continue;
                }

                if (Errno.IsTransientAcceptFailure(errno))
                {
                    OnTransientAcceptFailure(errno);
                    return;
                }

                RaiseError(Errno.Exception(errno, "accept"));
                return;
            }

            AcceptSucceeded();
            IPAddress? remote = null;
            int remotePort = 0;
            if (_unixPath is null)
            {
                SockAddr.TryRead(new ReadOnlySpan<byte>(sockaddr, length), out remote, out remotePort);
            }

            if (!Admit(remote))
            {
                Libc.close(fd);
                continue;
            }

            AdoptClient(TcpSocket.Accepted(_loop, this, fd, remote, remotePort, _options));
        }
    }

    private static int FailAccept(int errno)
    {
        System.Runtime.InteropServices.Marshal.SetLastPInvokeError(errno);
        return -1;
    }

    /// <summary>A client just accepted and admitted joins the server: TLS starts, then the connection event runs.</summary>
    private void AdoptClient(TcpSocket client)
    {
        lock (_clientsLock)
        {
            _clients.Add(client);
        }

        _clientCount++;
        if (_tls is not null)
        {
            // Before the connection event, so what it writes (a greeting) waits for the handshake and goes out
            // encrypted; the server's handshake sends nothing until the client's hello arrives.
            StartTls(client);
        }

        if (_serverDriver is { } driver && !client.IsClosed)
        {
            // The connection handler is the new socket's first event, so it runs in the socket's handler
            // scope: a Close() there waits for the handler to return, and writes made right after it are
            // still sent (as in the socket's own handlers), instead of the close completing at once.
            var previous = client.Enter();
            try
            {
                Dispatch(static (d, s, c) => d.OnServerConnection(s, c!), driver, client);
            }
            finally
            {
                client.Exit(previous);
            }
        }
    }

    void IPollTarget.CloseGracefully() => CloseCore();

    void IPollTarget.AbortNow()
    {
        StopListening();
        foreach (var client in Clients)
        {
            client.AbortCore(null);
        }

        Finish();
    }

    /// <summary>Runs a server handler with <see cref="Current"/> set; its exception (now or when its task faults) is a server error.</summary>
    private void Dispatch(Func<IServerEventDriver, TcpServer, TcpSocket?, ValueTask> handler, IServerEventDriver driver, TcpSocket? client)
    {
        var previous = _loop.CurrentServer;
        _loop.CurrentServer = this;
        try
        {
            var pending = handler(driver, this, client);
            if (pending.IsCompleted)
            {
                pending.GetAwaiter().GetResult();
            }
            else
            {
                AwaitHandler(pending);
            }
        }
        catch (Exception e)
        {
            RaiseError(e);
        }
        finally
        {
            _loop.CurrentServer = previous;
        }
    }

    // Apart from Dispatch so that its closure is only allocated when a handler really goes async.
    private void AwaitHandler(ValueTask pending) => pending.GetAwaiter().OnCompleted(() =>
    {
        try
        {
            pending.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            RaiseError(e);
        }
    });

    /// <summary>
    /// The server's error dispatch: the most specific error handler runs, then the server and all its clients
    /// close (each client's close event, then the server's).
    /// </summary>
    internal void RaiseError(Exception error)
    {
        if (_state is ServerState.Closed)
        {
            // A handler's task that failed after the server closed (its close event has run): nobody can handle it now.
            _loop.ReportUnhandled(error, null, this);
            return;
        }

        _closeCause = error;
        if (_serverDriver is { } driver)
        {
            var previous = _loop.CurrentServer;
            _loop.CurrentServer = this;
            try
            {
                var handled = driver.OnServerError(this, error);
                if (handled.IsCompleted)
                {
                    handled.GetAwaiter().GetResult();
                }
            }
            catch (Exception handlerFailure)
            {
                _loop.ReportUnhandled(handlerFailure, null, this);
            }
            finally
            {
                _loop.CurrentServer = previous;
            }
        }

        StopListening();
        _state = ServerState.Closing;
        foreach (var client in Clients)
        {
            client.AbortCore(error);
        }

        if (ClientCount == 0)
        {
            Finish();
        }
    }

    private void PauseCore(TimeSpan? timeout)
    {
        if (_state is ServerState.Closing or ServerState.Closed)
        {
            return;
        }

        if (!_paused)
        {
            _paused = true;
            UpdateListenerInterest();
        }

        if (timeout is { } delay)
        {
            _pauseTimeout.Arm(_loop, delay, static s => ((TcpServer)s!).ResumeCore(), this);
        }
    }

    private void ResumeCore()
    {
        if (!_paused)
        {
            return;
        }

        _paused = false;
        _pauseTimeout.Cancel();
        UpdateListenerInterest();
    }

    /// <summary>Watches the listener for clients unless paused by the driver or held back after a failed accept.</summary>
    private void UpdateListenerInterest()
    {
        if (_registered)
        {
            _loop.Modify(_fd, _slot, _paused || AcceptSuspended ? 0 : Libc.EPOLLIN);
        }
    }

    /// <summary>Closes gracefully, and aborts the clients still open after <paramref name="drainTimeout"/>.</summary>
    private void CloseCore(TimeSpan drainTimeout)
    {
        CloseCore();
        if (_state == ServerState.Closing)
        {
            _loop.Schedule(drainTimeout, static s => ((TcpServer)s!).AbortClients(), this);
        }
    }

    private void AbortClients()
    {
        foreach (var client in Clients)
        {
            client.AbortCore(null);
        }
    }

    private void CloseCore()
    {
        if (_state is ServerState.Closing or ServerState.Closed)
        {
            return;
        }

        StopListening();
        _state = ServerState.Closing;
        foreach (var client in Clients)
        {
            client.Close();
        }

        if (ClientCount == 0)
        {
            Finish();
        }
    }

    /// <summary>Stops accepting at once: the listener leaves epoll and is closed; a Unix socket file is removed.</summary>
    private void StopListening()
    {
        _pauseTimeout.Cancel();
        CancelAcceptRetry();
        if (_registered)
        {
            _loop.Unregister(_fd, _slot);
            _registered = false;
        }

        if (_fd >= 0)
        {
            Libc.close(_fd);
            _fd = -1;
            if (_unixPath is not null && Libc.FileType(_unixPath) == Libc.S_IFSOCK)
            {
                try
                {
                    File.Delete(_unixPath);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    internal void RemoveClient(TcpSocket client)
    {
        bool removed;
        lock (_clientsLock)
        {
            removed = _clients.Remove(client);
        }

        if (removed)
        {
            _clientCount--;
            ReleaseSlot(client);
        }
    }

    /// <summary>Called after a client's close event; the last one completes a closing server.</summary>
    internal void ClientClosed()
    {
        if (_state == ServerState.Closing && ClientCount == 0)
        {
            Finish();
        }
    }

    private void Finish()
    {
        if (_state == ServerState.Closed)
        {
            return;
        }

        StopListening();
        _state = ServerState.Closed;
        _loop.Forget(this);
        if (_loop.ServerLog is { } log)
        {
            RuntimeLog.ServerClosed(log, ToString());
        }

        if (_serverDriver is { } driver)
        {
            var previous = _loop.CurrentServer;
            _loop.CurrentServer = this;
            try
            {
                driver.OnServerClose(this);
            }
            catch (Exception e)
            {
                _loop.ReportUnhandled(e, null, this);
            }
            finally
            {
                _loop.CurrentServer = previous;
            }
        }

        _closeSignal.Signal();
    }
}
