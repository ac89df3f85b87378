using System;
using System.Net.Security;

namespace Conserv;

// TLS on a socket: from the accept (a server with TcpServerOptions.Tls), after the TCP connect (Connect with tls:),
// or in place on a plain connection (StartTls, for STARTTLS protocols). The TlsTransport goes between the socket and
// its transport; the socket's events stay the same and carry plaintext. The connect event runs once the handshake
// has completed, on both sides.
public sealed partial class TcpSocket
{
    private object? _clientTls; // SslClientAuthenticationOptions; object, so the connect path of a plain socket loads no TLS type
    private LoopTimer? _handshakeTimer;
    private TlsInfo? _tls;
    private bool _plaintextCutOff; // StartTls ran: plaintext frames already read are not delivered

    /// <summary>
    /// What the TLS handshake settled (protocol, cipher suite, ALPN protocol, the peer's certificate, the server name),
    /// once it has completed; null on a plain socket and while the handshake is under way. Set on the loop thread
    /// before the connect event runs.
    /// </summary>
    public TlsInfo? Tls => _tls;

    /// <summary>The TLS layer's SslStream while the socket has one (for tests: what a close releases).</summary>
    internal SslStream? TlsStream => (_transport as TlsTransport)?.Stream;

    /// <summary>True while a TLS handshake is under way on this socket: data events wait for it, and writes queue.</summary>
    public bool IsHandshaking => _transport is TlsTransport { IsSecured: false };

    /// <summary>
    /// Upgrades this plain connection to TLS in place, as the server of the handshake (STARTTLS). Call it from a
    /// handler after writing the protocol's go-ahead reply: what was written before the call goes out in plaintext,
    /// what is written after it is encrypted. Plaintext the peer sent after its request and that is still unread is
    /// discarded, not taken as encrypted input. The connect event runs again once the handshake has completed.
    /// Safe from any thread.
    /// </summary>
    /// <param name="options">The server's certificate (or a selection callback), client certificates, ALPN, protocols.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> has no certificate, context or selection callback.</exception>
    /// <exception cref="InvalidOperationException">On the loop thread: the socket already has TLS, is not connected, or could not send the plaintext written before the call.</exception>
    public void StartTls(SslServerAuthenticationOptions options)
    {
        CheckServerTlsOptions(options, nameof(options));
        _loop.RunOrPost(this, static (s, o) => s.StartTlsCore((SslServerAuthenticationOptions)o!, null), options);
    }

    /// <summary>
    /// Upgrades this plain connection to TLS in place, as the client of the handshake (STARTTLS): see
    /// <see cref="StartTls(SslServerAuthenticationOptions)"/>. <see cref="SslClientAuthenticationOptions.TargetHost"/>
    /// left null means the host this socket connected to. Safe from any thread.
    /// </summary>
    /// <param name="options">The server name, certificate validation, client certificates, ALPN, protocols.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="InvalidOperationException">On the loop thread: the socket already has TLS, is not connected, or could not send the plaintext written before the call.</exception>
    public void StartTls(SslClientAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _loop.RunOrPost(this, static (s, o) => s.StartTlsCore(null, (SslClientAuthenticationOptions)o!), options);
    }

    /// <summary>After the TCP connect of a client socket given <c>tls:</c>: its handshake starts (the connect event waits for it).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void BeginClientTls() => BeginTls(null, (SslClientAuthenticationOptions)_clientTls!);

    /// <summary>Starts the server's handshake on a socket just accepted by a TLS server. Loop thread only.</summary>
    internal void StartServerTls(SslServerAuthenticationOptions options)
    {
        if (_state == SocketState.Open && !_closing)
        {
            BeginTls(options, null);
        }
    }

    /// <summary>Refuses server options that cannot make a handshake: no certificate of any kind.</summary>
    internal static void CheckServerTlsOptions(SslServerAuthenticationOptions options, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(options, parameterName);
        if (options.ServerCertificate is null && options.ServerCertificateContext is null && options.ServerCertificateSelectionCallback is null)
        {
            throw new ArgumentException("TLS server options need a ServerCertificate, a ServerCertificateContext or a ServerCertificateSelectionCallback.", parameterName);
        }
    }

    private void StartTlsCore(SslServerAuthenticationOptions? server, SslClientAuthenticationOptions? client)
    {
        if (_state != SocketState.Open || _closing)
        {
            throw new InvalidOperationException($"StartTls needs an open connection; {this} is {(_closing ? "closing" : _state.ToString().ToLowerInvariant())}.");
        }

        if (_transport is TlsTransport)
        {
            throw new InvalidOperationException($"{this} already has TLS.");
        }

        // What was written before the call is the protocol's plaintext go-ahead: it leaves now, before any TLS byte.
        // Tried even while the socket waits for writability: the peer may have read since the last refused send.
        if (_output is { IsEmpty: false })
        {
            SendQueuedThen(ReadOnlySpan<byte>.Empty);
        }

        if (_output is { IsEmpty: false })
        {
            throw new InvalidOperationException($"StartTls could not send the {_output.Length} plaintext byte(s) written before it: the peer is not reading.");
        }

        // Bytes after the request that are already read are plaintext the peer should not have sent yet; taking them as
        // encrypted input would let an attacker inject commands into the secure session (CVE-2011-0411). Frames of
        // the same read stop here, and what is left is dropped when the handshake completes.
        _plaintextCutOff = true;
        BeginTls(server, client);
    }

    /// <summary>Puts a TLS layer over the connection and starts its handshake; an option refused at once is a fatal error.</summary>
    private void BeginTls(SslServerAuthenticationOptions? server, SslClientAuthenticationOptions? client)
    {
        var tls = new TlsTransport(_loop, this, _transport!);
        _transport = tls;
        var refused = server is not null ? tls.StartAsServer(server) : tls.StartAsClient(WithTargetHost(client!));
        if (refused is not null)
        {
            RaiseError(refused, fatal: true);
            return;
        }

        if (_options.TlsHandshakeTimeout is { } timeout && _tls is null && tls.IsSecured is false)
        {
            CancelTimer(ref _handshakeTimer);
            _handshakeTimer = _loop.ScheduleAt(_loop.Now + Milliseconds(timeout), static s => ((TcpSocket)s!).OnHandshakeTimer(), this);
        }

        UpdateInterest();
    }

    /// <summary>The handshake completed (called by the TLS layer, on the loop thread): the connect event runs.</summary>
    internal void OnTlsSecured()
    {
        CancelTimer(ref _handshakeTimer);
        if (_plaintextCutOff)
        {
            _frames?.TakeBuffered();
            _plaintextCutOff = false;
        }

        _tls = new TlsInfo(((TlsTransport)_transport!).Stream);
        UpdateInterest();
        RaiseConnect();
    }

    private void OnHandshakeTimer()
    {
        _handshakeTimer = null;
        if (_state == SocketState.Open && IsHandshaking)
        {
            RaiseError(new HandshakeTimeoutException(_options.TlsHandshakeTimeout!.Value), fatal: true);
        }
    }

    /// <summary>The client options with <see cref="SslClientAuthenticationOptions.TargetHost"/> set to the host connected to when left null.</summary>
    private SslClientAuthenticationOptions WithTargetHost(SslClientAuthenticationOptions options)
    {
        if (options.TargetHost is not null || (_host ?? _remoteAddress?.ToString()) is not { } host)
        {
            return options;
        }

        // A copy: the caller's options object may be shared by many sockets.
        return new SslClientAuthenticationOptions
        {
            AllowRenegotiation = options.AllowRenegotiation,
            AllowTlsResume = options.AllowTlsResume,
            ApplicationProtocols = options.ApplicationProtocols,
            CertificateChainPolicy = options.CertificateChainPolicy,
            CertificateRevocationCheckMode = options.CertificateRevocationCheckMode,
            CipherSuitesPolicy = options.CipherSuitesPolicy,
            ClientCertificateContext = options.ClientCertificateContext,
            ClientCertificates = options.ClientCertificates,
            EnabledSslProtocols = options.EnabledSslProtocols,
            EncryptionPolicy = options.EncryptionPolicy,
            LocalCertificateSelectionCallback = options.LocalCertificateSelectionCallback,
            RemoteCertificateValidationCallback = options.RemoteCertificateValidationCallback,
            TargetHost = host,
        };
    }
}
