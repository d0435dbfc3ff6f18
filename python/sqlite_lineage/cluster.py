"""A client of a lineage cluster: dqlite's wire protocol, standard library only.

    from sqlite_lineage import cluster
    c = cluster.connect(["127.0.0.1:29001", "127.0.0.1:29002"], database="lineage")
    with c.transaction():
        c.execute("SELECT run_start(?, 'train')", ("vision/train-1",))
        ref = c.execute("SELECT log_artifact(?, 'model', 'model', ?)",
                        ("vision/train-1", files))[0][0]
    c.execute("SELECT ref FROM lineage_upstream(?)", (ref,))
    c.close()

How it works. A connection speaks version 1 of dqlite's client protocol to
the leader (found by asking any node, LEADER); each message is an 8-byte
header (body length in 8-byte words, type, schema) and a body of
little-endian 64-bit words, text NUL-terminated and padded to a word.
Statements go as EXEC_SQL (no result columns) or QUERY_SQL (rows), with
their parameters bound by the server, never pasted into the SQL.

The cluster's nodes run sqlite-lineage in replicated mode, where a writer
runs only inside an explicit transaction: dqlite sends a statement that
looks read-only (SELECT log_artifact(...)) down its read path, whose changes
would never be replicated. transaction() applies the recipe: BEGIN IMMEDIATE
(exec), the statements (query or exec), COMMIT (exec). If the leader goes
away before COMMIT, the transaction is replayed on the new leader, and the
caller sees nothing unless a statement's result then differs from what it
already returned (TransactionConflict: nothing was committed). If the
connection breaks during COMMIT, the commit may or may not have happened:
CommitUnknown. A log_artifact repeated by the same run with the same digest
returns the version it logged, so resolving one is a retry.

dqlite 1.11 may report an error met while stepping a query with a stale
message (often the first column's name): the client recovers SQLite's own by
running the failing statement again on the exec path, fenced so that it
changes nothing (see Client._real_error).
"""

import contextlib
import random
import re
import socket
import struct
import time

__all__ = ["connect", "Client", "Error", "SQLError", "NoLeader",
           "CommitUnknown", "TransactionConflict", "VOTER", "STANDBY", "SPARE"]

PROTOCOL_VERSION = 1

# Request types.
_LEADER, _CLIENT, _OPEN = 0, 1, 3
_EXEC_SQL, _QUERY_SQL = 8, 9
_ADD, _ASSIGN, _REMOVE, _DUMP, _CLUSTER, _TRANSFER = 12, 13, 14, 15, 16, 17
# Response types.
_FAILURE, _SERVER, _WELCOME, _SERVERS, _DB = 0, 1, 2, 3, 4
_RESULT, _ROWS, _EMPTY, _FILES = 6, 7, 8, 9
# Value types.
_INTEGER, _FLOAT, _TEXT, _BLOB, _NULL = 1, 2, 3, 4, 5
_UNIXTIME, _ISO8601, _BOOLEAN = 9, 10, 11
# The end of a result set, and the end of one part of a longer one.
_ROWS_DONE = 0xFFFFFFFFFFFFFFFF
_ROWS_PART = 0xEEEEEEEEEEEEEEEE

# Node roles.
VOTER, STANDBY, SPARE = 0, 1, 2
_ROLE_NAMES = {VOTER: "voter", STANDBY: "standby", SPARE: "spare"}

# SQLite's result codes the client acts on, and dqlite's extended ones.
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_IOERR_NOT_LEADER = 10 | (40 << 8)
_SQLITE_IOERR_LEADERSHIP_LOST = 10 | (41 << 8)

# How long a call waits for a leader (an election with dqlite's default
# timeouts takes about 5 s on loopback; with --latency-ms 20, under 1 s).
DEFAULT_TIMEOUT = 30.0
# One request's round trip; a COMMIT waits for a quorum of the nodes.
IO_TIMEOUT = 10.0
# Pause between attempts while there is no leader or the write lock is
# taken: short, with jitter, so that waiting writers do not move in step.
RETRY_PAUSE = 0.05
# The most parameters one statement takes (the protocol's first format).
MAX_PARAMS = 255


class Error(Exception):
    """Anything the cluster client reports."""


class SQLError(Error):
    """The server refused a statement: SQLite's (extended) code and message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class NoLeader(Error):
    """No node named a reachable leader within the timeout."""


class CommitUnknown(Error):
    """The connection broke while a COMMIT (or a write sent on its own) was
    in flight: it may or may not have been applied. Read back to find out,
    or repeat it if repeating is safe (log_artifact by the same run with
    the same files is)."""


class TransactionConflict(Error):
    """A transaction replayed on a new leader gave a statement a result
    other than the one already returned; nothing was committed."""


class _Lost(Exception):
    """The connection to the node broke, or it is not the leader (internal).
    not_run: the statement was certainly not run (the node refused it as
    not the leader, or it was never sent)."""

    def __init__(self, message, not_run=False):
        super().__init__(message)
        self.not_run = not_run


def _pad(n):
    return (n + 7) & ~7


def _text(s):
    b = s.encode("utf-8") + b"\0"
    return b + b"\0" * (_pad(len(b)) - len(b))


def _params(params):
    """A tuple of parameters (format 0: at most 255)."""
    params = tuple(params)
    if not params:
        return b""
    if len(params) > MAX_PARAMS:
        raise Error("lineage cluster: a statement takes at most %d parameters, "
                    "not %d" % (MAX_PARAMS, len(params)))
    types, values = [], []
    for i, v in enumerate(params):
        if v is None:
            types.append(_NULL)
            values.append(struct.pack("<q", 0))
        elif isinstance(v, bool):
            types.append(_INTEGER)
            values.append(struct.pack("<q", int(v)))
        elif isinstance(v, int):
            types.append(_INTEGER)
            values.append(struct.pack("<q", v))
        elif isinstance(v, float):
            types.append(_FLOAT)
            values.append(struct.pack("<d", v))
        elif isinstance(v, str):
            types.append(_TEXT)
            values.append(_text(v))
        elif isinstance(v, (bytes, bytearray, memoryview)):
            b = bytes(v)
            types.append(_BLOB)
            values.append(struct.pack("<Q", len(b)) + b + b"\0" * (_pad(len(b)) - len(b)))
        else:
            raise Error("lineage cluster: parameter %d has type %s; use None, "
                        "int, float, str or bytes" % (i + 1, type(v).__name__))
    head = bytes([len(types)] + types)
    return head + b"\0" * (_pad(len(head)) - len(head)) + b"".join(values)


class _Reader:
    """A cursor over a response body."""

    def __init__(self, body):
        self.b = body
        self.i = 0

    def _unpack(self, fmt, size):
        v, = struct.unpack_from(fmt, self.b, self.i)
        self.i += size
        return v

    def u64(self):
        return self._unpack("<Q", 8)

    def i64(self):
        return self._unpack("<q", 8)

    def f64(self):
        return self._unpack("<d", 8)

    def u32(self):
        return self._unpack("<I", 4)

    def text(self):
        j = self.b.index(b"\0", self.i)
        s = self.b[self.i:j].decode("utf-8", "replace")
        self.i = self.i + _pad(j - self.i + 1)
        return s

    def blob(self):
        n = self.u64()
        v = bytes(self.b[self.i:self.i + n])
        self.i += _pad(n)
        return v

    def at_end(self):
        return self.i >= len(self.b)


def _split_address(address):
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise Error("lineage cluster: an address is HOST:PORT, not %r" % address)
    return host, int(port)


class _Conn:
    """One socket to one node, speaking the protocol."""

    def __init__(self, address, timeout):
        self.address = address
        try:
            self.sock = socket.create_connection(_split_address(address), timeout)
            self.sock.settimeout(IO_TIMEOUT)
            self.sock.sendall(struct.pack("<Q", PROTOCOL_VERSION))
        except OSError as e:
            raise _Lost("cannot connect to %s: %s" % (address, e))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _read(self, n):
        chunks, left = [], n
        while left:
            try:
                b = self.sock.recv(left)
            except OSError as e:
                raise _Lost("%s: %s" % (self.address, e))
            if not b:
                raise _Lost("%s closed the connection" % self.address)
            chunks.append(b)
            left -= len(b)
        return b"".join(chunks)

    def recv(self):
        words, mtype, _schema, _extra = struct.unpack("<IBBH", self._read(8))
        return mtype, self._read(words * 8)

    def call(self, rtype, body, schema=0):
        """Send a request; returns (response type, body)."""
        assert len(body) % 8 == 0
        try:
            self.sock.sendall(struct.pack("<IBBH", len(body) // 8, rtype, schema, 0) + body)
        except OSError as e:
            raise _Lost("%s: %s" % (self.address, e))
        return self.recv()


def _failure(body):
    r = _Reader(body)
    code = r.u64()
    return SQLError(code, r.text())


def _rows(conn, body):
    """Decode a ROWS response (and the parts after it)."""
    r = _Reader(body)
    ncol = r.u64()
    names = [r.text() for _ in range(ncol)]
    rows = []
    nhead = _pad((ncol + 1) // 2)
    while True:
        if r.at_end():
            raise Error("lineage cluster: a result set without its end marker")
        marker, = struct.unpack_from("<Q", r.b, r.i)
        if marker == _ROWS_DONE:
            return names, rows
        if marker == _ROWS_PART:
            mtype, body = conn.recv()
            if mtype == _FAILURE:
                raise _failure(body)
            r = _Reader(body)
            r.u64()
            for _ in range(ncol):
                r.text()
            continue
        head = r.b[r.i:r.i + nhead]
        r.i += nhead
        row = []
        for k in range(ncol):
            t = (head[k // 2] >> (4 * (k % 2))) & 0x0F
            if t == _INTEGER or t == _UNIXTIME:
                row.append(r.i64())
            elif t == _BOOLEAN:
                row.append(int(r.u64() != 0))
            elif t == _FLOAT:
                row.append(r.f64())
            elif t == _TEXT or t == _ISO8601:
                row.append(r.text())
            elif t == _BLOB:
                row.append(r.blob())
            elif t == _NULL:
                r.u64()
                row.append(None)
            else:
                raise Error("lineage cluster: unknown value type %d in a row" % t)
        rows.append(tuple(row))


_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*(\w+)", re.S)


def _first_word(sql):
    m = _FIRST_WORD.match(sql)
    return m.group(1).upper() if m else ""


def _has_rows(sql):
    """Whether a statement goes on the query path: dqlite's takes only
    statements with result columns, its exec path returns no rows."""
    word = _first_word(sql)
    if word == "PRAGMA":
        return "=" not in sql
    return word in ("SELECT", "WITH", "VALUES", "EXPLAIN") or \
        re.search(r"\bRETURNING\b", sql, re.I) is not None


# A statement that may write without calling a writer function.
_WRITES = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.I)


def _is_read(sql):
    """A statement that is safe to send again: a query that writes nothing
    (writers are refused outside a transaction in replicated mode)."""
    return _first_word(sql) in ("SELECT", "WITH", "VALUES", "EXPLAIN")


class Client:
    """A connection to the leader of a lineage cluster; see connect(). One
    connection: use one Client per thread."""

    def __init__(self, addresses, database="lineage", timeout=DEFAULT_TIMEOUT):
        if isinstance(addresses, str):
            addresses = addresses.split(",")
        self.addresses = [a.strip() for a in addresses if a.strip()]
        if not self.addresses:
            raise Error("lineage cluster: no node address given")
        for a in self.addresses:
            _split_address(a)
        self.database = database
        self.timeout = timeout
        self.conn = None
        self.db_id = None
        self.leader_id = None
        self._txn = None      # statements of the open transaction: (sql, params, result)
        self.replays = 0      # transactions replayed on a new leader so far
        self.client_id = random.getrandbits(63)
        self._connect()

    # ---- finding the leader ------------------------------------------------

    def _ask_leader(self, address):
        """(id, address) of the leader as node `address` knows it."""
        c = _Conn(address, min(self.timeout, IO_TIMEOUT))
        try:
            mtype, body = c.call(_LEADER, struct.pack("<Q", 0))
            if mtype != _SERVER:
                raise _Lost("%s did not name a leader" % address)
            r = _Reader(body)
            return r.u64(), r.text(), c
        except BaseException:
            c.close()
            raise

    def _connect(self):
        """Connect to the leader and open the database, within the timeout."""
        self._drop()
        deadline = time.monotonic() + self.timeout
        last = "no node answered"
        while True:
            known = list(self.addresses)
            for address in known:
                try:
                    lid, laddr, c = self._ask_leader(address)
                except (_Lost, OSError) as e:
                    last = str(e)
                    continue
                if not laddr:
                    c.close()
                    last = "%s knows no leader" % address
                    continue
                if laddr != address:
                    c.close()
                    if laddr not in self.addresses:
                        self.addresses.append(laddr)
                    try:
                        lid2, laddr2, c = self._ask_leader(laddr)
                    except (_Lost, OSError) as e:
                        last = str(e)
                        continue
                    if laddr2 != laddr:
                        c.close()
                        last = "%s does not see itself as the leader" % laddr
                        continue
                    lid = lid2
                try:
                    self._open(c)
                except (_Lost, SQLError) as e:
                    c.close()
                    last = str(e)
                    continue
                self.conn, self.leader_id = c, lid
                return
            if time.monotonic() > deadline:
                raise NoLeader("lineage cluster: no leader within %g s (%s)"
                               % (self.timeout, last))
            time.sleep(RETRY_PAUSE * (1 + random.random()))

    def _open(self, c):
        mtype, body = c.call(_CLIENT, struct.pack("<Q", self.client_id))
        if mtype == _FAILURE:
            raise _failure(body)
        mtype, body = c.call(_OPEN, _text(self.database) + struct.pack("<Q", 0) + _text(""))
        if mtype == _FAILURE:
            raise _failure(body)
        if mtype != _DB:
            raise _Lost("unexpected response %d to open" % mtype)
        self.db_id = _Reader(body).u32()

    def _drop(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        self.db_id = None

    # ---- statements ----------------------------------------------------------

    def _run(self, sql, params):
        """One statement on the current connection: (column names, rows);
        ([], []) for a statement without result columns. Raises SQLError or
        _Lost."""
        if self.conn is None:
            raise _Lost("not connected", not_run=True)
        if not _has_rows(sql):
            return [], self._exec(sql, params)
        body = struct.pack("<Q", self.db_id) + _text(sql) + _params(params)
        mtype, resp = self.conn.call(_QUERY_SQL, body)
        if mtype == _ROWS:
            return _rows(self.conn, resp)
        if mtype != _FAILURE:
            raise _Lost("unexpected response %d to a query" % mtype)
        err = _failure(resp)
        if self._leader_error(err):
            raise _Lost(err.message, not_run=err.code == _SQLITE_IOERR_NOT_LEADER)
        raise self._real_error(sql, params, err)

    def _exec(self, sql, params):
        body = struct.pack("<Q", self.db_id) + _text(sql) + _params(params)
        mtype, resp = self.conn.call(_EXEC_SQL, body)
        if mtype == _RESULT:
            return []
        if mtype != _FAILURE:
            raise _Lost("unexpected response %d to exec" % mtype)
        err = _failure(resp)
        if self._leader_error(err):
            raise _Lost(err.message, not_run=err.code == _SQLITE_IOERR_NOT_LEADER)
        raise err

    @staticmethod
    def _leader_error(err):
        return err.code in (_SQLITE_IOERR_NOT_LEADER, _SQLITE_IOERR_LEADERSHIP_LOST) \
            or err.message in ("not leader", "leadership lost")

    def _real_error(self, sql, params, err):
        """dqlite 1.11 may report a query's stepping error with a stale
        message (often the first column's name): get SQLite's own by running
        the statement again on the exec path, whose message is right. Inside
        a transaction that run is fenced by a savepoint rolled back after;
        outside one, it is done only for a query that cannot write (SELECT
        without INSERT, UPDATE, DELETE or REPLACE): replicated mode refuses
        any writer function it calls, so it changes nothing either."""
        fenced = self._txn is not None
        if err.message.startswith("lineage: ") or \
                (not fenced and (not _is_read(sql) or _WRITES.search(sql))):
            return err
        try:
            if fenced:
                self._exec("SAVEPOINT lineage_client_error", ())
            try:
                self._exec(sql, params)
            except SQLError as real:
                if "another row available" not in real.message:
                    err = SQLError(real.code, real.message)
            finally:
                if fenced:
                    self._exec("ROLLBACK TO lineage_client_error", ())
                    self._exec("RELEASE lineage_client_error", ())
        except SQLError:
            pass
        return err

    def execute(self, sql, params=()):
        """Run one statement; returns its rows as a list of tuples ([] for a
        statement without result columns). Inside transaction(), it joins
        the transaction; outside, a read is retried on a new leader."""
        return self.query(sql, params)[1]

    def query(self, sql, params=()):
        """execute(), returning (column names, rows)."""
        if self._txn is not None:
            return self._txn_execute(sql, params)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if self.conn is None:
                    self._connect()
                return self._run(sql, params)
            except _Lost as e:
                self._drop()
                if not _is_read(sql) and not e.not_run:
                    raise CommitUnknown("lineage cluster: the connection broke "
                                        "during %r (%s): it may have been "
                                        "applied" % (sql[:60], e))
                if time.monotonic() > deadline:
                    raise NoLeader("lineage cluster: %s" % e)

    # ---- transactions ----------------------------------------------------------

    def _begin(self, deadline):
        """BEGIN IMMEDIATE on a connection to the leader, retried while the
        write lock is taken or there is no leader."""
        while True:
            try:
                if self.conn is None:
                    self._connect()
                self._exec("BEGIN IMMEDIATE", ())
                return
            except _Lost:
                self._drop()
            except SQLError as e:
                if (e.code & 0xFF) not in (_SQLITE_BUSY, _SQLITE_LOCKED):
                    raise
            if time.monotonic() > deadline:
                raise NoLeader("lineage cluster: could not begin a transaction "
                               "within %g s" % self.timeout)
            time.sleep(RETRY_PAUSE * (1 + random.random()))

    def _replay(self, deadline):
        """The transaction so far, again on the (new) leader."""
        self.replays += 1
        while True:
            self._begin(deadline)
            try:
                for sql, params, result in self._txn:
                    again = self._run(sql, params)[1]
                    if again != result:
                        self._rollback()
                        self._txn = None
                        raise TransactionConflict(
                            "lineage cluster: replayed on the new leader, %r "
                            "returned %r, not %r: nothing was committed"
                            % (sql[:60], again, result))
                return
            except _Lost:
                self._drop()
                if time.monotonic() > deadline:
                    raise NoLeader("lineage cluster: no leader to replay the "
                                   "transaction on")

    def _txn_execute(self, sql, params):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                names, rows = self._run(sql, params)
                self._txn.append((sql, tuple(params), rows))
                return names, rows
            except _Lost:
                self._drop()
                self._replay(deadline)

    def _rollback(self):
        try:
            if self.conn is not None:
                self._exec("ROLLBACK", ())
        except (SQLError, _Lost):
            self._drop()

    def _commit(self):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self._exec("COMMIT", ())
                return
            except _Lost as e:
                self._drop()
                if not e.not_run:
                    raise CommitUnknown("lineage cluster: the connection to "
                                        "the leader broke during COMMIT (%s): "
                                        "the transaction may or may not have "
                                        "been committed" % e)
            # "not leader": the node refused before committing anything.
            self._replay(deadline)

    @contextlib.contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE ... COMMIT around the block; ROLLBACK if the block
        raises. Keep it short: it holds the cluster's one write lock."""
        if self._txn is not None:
            raise Error("lineage cluster: a transaction is already open")
        self._begin(time.monotonic() + self.timeout)
        self._txn = []
        try:
            yield self
        except BaseException:
            if self._txn is not None:
                self._rollback()
            self._txn = None
            raise
        try:
            self._commit()
        except SQLError:
            self._rollback()
            raise
        finally:
            self._txn = None

    # ---- the cluster -------------------------------------------------------------

    def _admin(self, rtype, body, want):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if self.conn is None:
                    self._connect()
                mtype, resp = self.conn.call(rtype, body)
                if mtype == want:
                    return resp
                if mtype != _FAILURE:
                    raise _Lost("unexpected response %d" % mtype)
                err = _failure(resp)
                if not self._leader_error(err):
                    raise err
            except _Lost:
                pass
            self._drop()
            if time.monotonic() > deadline:
                raise NoLeader("lineage cluster: no leader within %g s" % self.timeout)
            time.sleep(RETRY_PAUSE)

    def leader(self):
        """(id, address) of the leader, as the node connected to sees it."""
        if self.conn is None:
            self._connect()
        resp = self._admin(_LEADER, struct.pack("<Q", 0), _SERVER)
        r = _Reader(resp)
        return r.u64(), r.text()

    def nodes(self):
        """The members: a list of (id, address, role name)."""
        r = _Reader(self._admin(_CLUSTER, struct.pack("<Q", 1), _SERVERS))
        out = []
        for _ in range(r.u64()):
            nid, addr, role = r.u64(), r.text(), r.u64()
            out.append((nid, addr, _ROLE_NAMES.get(role, str(role))))
        return out

    def add(self, node_id, address):
        """Add a node (as a spare: assign() makes it a voter)."""
        self._admin(_ADD, struct.pack("<Q", node_id) + _text(address), _EMPTY)

    def assign(self, node_id, role=VOTER):
        self._admin(_ASSIGN, struct.pack("<QQ", node_id, role), _EMPTY)

    def remove(self, node_id):
        self._admin(_REMOVE, struct.pack("<Q", node_id), _EMPTY)

    def transfer(self, node_id):
        """Hand leadership to node_id; the client reconnects to it."""
        self._admin(_TRANSFER, struct.pack("<Q", node_id), _EMPTY)
        self._drop()
        self._connect()

    def dump(self):
        """The database's files on the leader: {name: bytes} (the database
        and its WAL)."""
        r = _Reader(self._admin(_DUMP, _text(self.database), _FILES))
        files = {}
        for _ in range(r.u64()):
            name = r.text()
            n = r.u64()
            files[name] = bytes(r.b[r.i:r.i + n])
            r.i += _pad(n)
        return files

    def close(self):
        self._drop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect(addresses, database="lineage", timeout=DEFAULT_TIMEOUT):
    """A Client connected to the leader of the cluster that the nodes at
    `addresses` ("host:port" strings, or one comma-separated string) are
    members of."""
    return Client(addresses, database=database, timeout=timeout)
