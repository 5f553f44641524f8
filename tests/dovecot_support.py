"""A real IMAP server for the e-mail tests: Debian's dovecot, run as a child process with a
config of its own in a temporary folder, plain IMAP on 127.0.0.1 and a free port.

Users live in a passwd-file. Each test can have a fresh, empty mailbox by taking a new user:
a stock of users is written before dovecot starts, because dovecot notices a changed
passwd-file only some time later. The server can be stopped and started again on the same
port, for tests of a poller that must reconnect.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

DOVECOT = "/usr/sbin/dovecot"
STOCK = 200  # users ready at start; more are added on demand, slower


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _process_users() -> tuple[str, str, str, str]:
    """(internal user, login user, mail user, mail group) for dovecot's processes.

    As a normal user dovecot runs every process as that user. As root (as in CI) it refuses to
    run its login processes or any mail access as root: logins run as Debian's unprivileged
    ``dovenull`` and mail as ``nobody``, who is given the mail folder. The auth processes stay
    root, so the passwd-file can stay private to us."""
    me = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    if os.getuid() != 0:
        return me, me, me, group
    login = "dovenull" if _user_exists("dovenull") else "nobody"
    return me, login, "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name


def require_dovecot() -> str:
    """The dovecot binary, or a skip that says how to get it."""
    if not os.path.exists(DOVECOT):
        why = (
            f"{DOVECOT} is missing: the IMAP tests need Debian's dovecot "
            "(apt-get install dovecot-imapd; scripts/test.sh installs it)"
        )
        if os.environ.get("CI"):
            pytest.fail(why)  # in CI the test script installed it: missing is a fault
        pytest.skip(why)
    return DOVECOT


class Dovecot:
    """A dovecot of our own; use as a context manager, or start() and stop() by hand."""

    def __init__(self, binary: str | None = None, *, tls: bool = False) -> None:
        """With tls, a self-signed certificate for 127.0.0.1: STARTTLS on `port`, and implicit
        TLS on `tls_port`."""
        self.binary = binary or require_dovecot()
        # Short path: dovecot's unix sockets live under base_dir, and a socket path may not be
        # longer than about 100 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="balie-dc-"))
        self.host = "127.0.0.1"
        self.port = free_port()
        self.tls = tls
        self.tls_port = free_port() if tls else 0
        self.passwd = self.root / "passwd"
        self.password = "secret"
        self._stock = [f"user{n:03}" for n in range(STOCK)]
        # user:password:uid:gid:gecos:home:shell; uid, gid and home come from the config.
        self.passwd.write_text("".join(f"{u}:{{PLAIN}}{self.password}:::::\n" for u in self._stock))
        self.conf = self.root / "dovecot.conf"
        self.log = self.root / "dovecot.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        internal, login, mail_user, mail_group = _process_users()
        root = self.root
        # The mail processes run as mail_user: they must get through our (private) folder to
        # the homes, which dovecot creates in a folder of theirs.
        home = root / "home"
        home.mkdir()
        root.chmod(0o711)
        if os.getuid() == 0:
            entry = pwd.getpwnam(mail_user)
            os.chown(home, entry.pw_uid, entry.pw_gid)
        ssl = self._certificate() if self.tls else "ssl = no"
        self.conf.write_text(
            f"""\
protocols = imap
listen = {self.host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {self.log}
instance_name = balie-test-{root.name}
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong password is answered at once, not after the usual 2 s.
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(os.getgid()).gr_name}
default_login_user = {login}
# A test user's own uid may be a low one (a CI service account).
first_valid_uid = 1
first_valid_gid = 1
mail_uid = {mail_user}
mail_gid = {mail_group}
mail_home = {root}/home/%u
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.passwd}
}}
# No growing wait after failed log-ins from our address (tests try wrong passwords on purpose).
# No chroot: only root may chroot, and the tests may run as a normal user.
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {self.host}
    port = {self.tls_port}
  }}
}}
"""
        )

    def _certificate(self) -> str:
        # Debian's dovecot-core depends on openssl, so the command is there wherever dovecot is.
        cert, key = self.root / "cert.pem", self.root / "key.pem"
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", str(key), "-out", str(cert), "-days", "2",
                "-subj", "/CN=balie-test", "-addext", f"subjectAltName=IP:{self.host}",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        return f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}"

    # --- running --------------------------------------------------------------------------

    def start(self) -> None:
        if self.process is not None:
            return
        # A dovecot killed without clean-up leaves master.pid behind; it would refuse to start.
        (self.root / "run" / "master.pid").unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            # A process group of its own, so that stop() reaches every dovecot process at once.
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                self.process = None
                raise RuntimeError(f"dovecot did not start: {err.strip()}\n{self.log_text()}")
            if self._greets():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not listen on port {self.port}\n{self.log_text()}")

    def _greets(self) -> bool:
        # Ready once a login process answers, not merely when the master has bound the port:
        # stopping a dovecot whose first login process is still starting takes seconds.
        try:
            with socket.create_connection((self.host, self.port), timeout=2) as s:
                return s.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        """Stops the server and every IMAP session it has: clients see their connection close."""
        process, self.process = self.process, None
        if process is None:
            return
        # The master alone would leave running IMAP sessions alive for seconds more; the whole
        # group gets the signal, so clients see their connections end now.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()

    def kill_sessions(self) -> int:
        """Kills every IMAP session process outright, as a crash would: clients' connections
        close without a goodbye. The server itself goes on. Returns how many were killed."""
        if self.process is None:
            return 0
        killed = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ')'.
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            if comm == "imap" and ppid == self.process.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(entry.name), signal.SIGKILL)
                    killed += 1
        return killed

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> Dovecot:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- users and mail ------------------------------------------------------------------

    def add_user(self) -> tuple[str, str]:
        """A user with an empty mailbox of its own; returns (username, password)."""
        if self._stock:
            return self._stock.pop(0), self.password
        name = f"u{secrets.token_hex(5)}"
        with self.passwd.open("a") as f:
            f.write(f"{name}:{{PLAIN}}{self.password}:::::\n")
        # Dovecot looks at the file again after a second or so; wait until the user can log in.
        deadline = time.monotonic() + 10
        while True:
            try:
                with self.client(name, self.password):
                    return name, self.password
            except LoginError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    @contextlib.contextmanager
    def client(self, username: str, password: str) -> Iterator[IMAPClient]:
        """A logged-in IMAP client, for a test to set up mail and look at flags and folders."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        try:
            client.login(username, password)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()
            with contextlib.suppress(Exception):
                client.shutdown()

    def append(
        self,
        username: str,
        password: str,
        message: bytes,
        *,
        folder: str = "INBOX",
        flags: tuple[bytes, ...] = (),
    ) -> int:
        """Stores a message as a mail client would; returns its UID."""
        with self.client(username, password) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, message, flags=flags)
            # Dovecot answers with UIDPLUS: b"[APPENDUID <validity> <uid>] Append completed."
            text = response.decode() if isinstance(response, bytes) else str(response)
            return int(text.split("]")[0].split()[-1])

    def flags(self, username: str, password: str, folder: str = "INBOX") -> dict[int, set[bytes]]:
        """Each message's flags by UID."""
        with self.client(username, password) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched: dict[int, dict[bytes, Any]] = client.fetch(uids, ["FLAGS"]) if uids else {}
            return {uid: set(data[b"FLAGS"]) for uid, data in fetched.items()}

    def bodies(self, username: str, password: str, folder: str = "INBOX") -> dict[int, bytes]:
        """Each message's exact bytes by UID, read without marking anything."""
        with self.client(username, password) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            if not uids:
                return {}
            fetched = client.fetch(uids, ["BODY.PEEK[]"])
            return {uid: bytes(data[b"BODY[]"]) for uid, data in fetched.items()}

    def folders(self, username: str, password: str) -> set[str]:
        with self.client(username, password) as client:
            return {str(name) for _flags, _delim, name in client.list_folders()}


@contextlib.contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    with Dovecot() as server:
        yield server
