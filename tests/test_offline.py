"""Loading the models and classifying a ticket attempts no connection outside loopback."""
import subprocess
import textwrap

GUARDED_RUN = textwrap.dedent(
    """
    import ipaddress, socket
    attempts = []
    _connect = socket.socket.connect
    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host in ("localhost",)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not loopback:
            attempts.append(address)
            raise OSError(f"network access blocked by test: {address}")
        return _connect(self, address)
    socket.socket.connect = guarded_connect
    socket.socket.connect_ex = lambda self, address: guarded_connect(self, address) or 0
    _getaddrinfo = socket.getaddrinfo
    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost", "127.0.0.1", "::1"):
            attempts.append(("dns", host))
            raise OSError(f"DNS lookup blocked by test: {host}")
        return _getaddrinfo(host, *args, **kwargs)
    socket.getaddrinfo = guarded_getaddrinfo

    from triage.wiring import build_triager
    from models.embedder import Embedder
    Embedder().encode(["hello"])
    result = build_triager().run("Our webhook deliveries fail since the last deploy.")
    import gradio  # the UI library too, at import
    assert not attempts, attempts
    print("OK", result.classification.primary_category)
    """
)


def test_no_network_outside_loopback(python_exe, project_env):
    out = subprocess.run([python_exe, "-c", GUARDED_RUN], capture_output=True, text=True,
                         env=project_env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("OK")
