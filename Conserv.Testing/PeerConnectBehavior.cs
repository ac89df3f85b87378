namespace Conserv.Testing;

/// <summary>How the scripted peer answers a driver's connect (<see cref="TestNetwork.ConnectAsync"/>).</summary>
public enum PeerConnectBehavior
{
    /// <summary>The connect succeeds: the driver's connect event runs.</summary>
    Accept,

    /// <summary>The connect is refused: the driver's error handlers get a <see cref="System.Net.Sockets.SocketException"/> with <see cref="System.Net.Sockets.SocketError.ConnectionRefused"/>, then the socket closes.</summary>
    Refuse,

    /// <summary>Nothing ever answers: the connect stays under way until the socket's connect time-out (on the virtual clock) ends it, or forever without one.</summary>
    Silent,
}
