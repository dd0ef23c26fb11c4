"""A tiny ctypes binding to the pinned DuckDB C library (.deps/duckdb/lib/libduckdb.so).

Used by the lake e2e tests and bench/athena to write Parquet files (Debian's Python has no pyarrow) and, in the
benchmark, to run the same SQL directly in DuckDB. Standard library only.

    with duck.Duck() as db:                       # in-memory database
        db.execute("COPY (SELECT 1 AS x) TO '/tmp/d/x.parquet' (FORMAT PARQUET)")
        rows = db.query("SELECT 42, 'a'")          # -> [('42', 'a')] (values as text, None for NULL)

Environment: CENOTE_DUCKDB_LIB overrides the library path.
"""

import ctypes
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIB = os.path.normpath(os.path.join(_HERE, "..", "..", "..", ".deps", "duckdb", "lib", "libduckdb.so"))


class _Result(ctypes.Structure):
    # duckdb_result from duckdb.h (1.4): the deprecated fields, then internal_data.
    _fields_ = [
        ("deprecated_column_count", ctypes.c_uint64),
        ("deprecated_row_count", ctypes.c_uint64),
        ("deprecated_rows_changed", ctypes.c_uint64),
        ("deprecated_columns", ctypes.c_void_p),
        ("deprecated_error_message", ctypes.c_char_p),
        ("internal_data", ctypes.c_void_p),
    ]


_lib = None


def library_path():
    return os.environ.get("CENOTE_DUCKDB_LIB") or DEFAULT_LIB


def available():
    return os.path.exists(library_path())


def _load():
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(library_path())
    vp, cp, u64 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint64
    rp = ctypes.POINTER(_Result)
    lib.duckdb_open.argtypes = [cp, ctypes.POINTER(vp)]
    lib.duckdb_open.restype = ctypes.c_int
    lib.duckdb_close.argtypes = [ctypes.POINTER(vp)]
    lib.duckdb_close.restype = None
    lib.duckdb_connect.argtypes = [vp, ctypes.POINTER(vp)]
    lib.duckdb_connect.restype = ctypes.c_int
    lib.duckdb_disconnect.argtypes = [ctypes.POINTER(vp)]
    lib.duckdb_disconnect.restype = None
    lib.duckdb_query.argtypes = [vp, cp, rp]
    lib.duckdb_query.restype = ctypes.c_int
    lib.duckdb_destroy_result.argtypes = [rp]
    lib.duckdb_destroy_result.restype = None
    lib.duckdb_result_error.argtypes = [rp]
    lib.duckdb_result_error.restype = cp
    lib.duckdb_row_count.argtypes = [rp]
    lib.duckdb_row_count.restype = u64
    lib.duckdb_column_count.argtypes = [rp]
    lib.duckdb_column_count.restype = u64
    lib.duckdb_column_name.argtypes = [rp, u64]
    lib.duckdb_column_name.restype = cp
    lib.duckdb_value_is_null.argtypes = [rp, u64, u64]
    lib.duckdb_value_is_null.restype = ctypes.c_bool
    lib.duckdb_value_varchar.argtypes = [rp, u64, u64]
    lib.duckdb_value_varchar.restype = vp  # char* to free with duckdb_free
    lib.duckdb_free.argtypes = [vp]
    lib.duckdb_free.restype = None
    _lib = lib
    return lib


class DuckError(RuntimeError):
    pass


class Duck:
    """One database (in memory unless `path`) with one connection. Not thread-safe."""

    def __init__(self, path=None):
        self._lib = _load()
        self._db = ctypes.c_void_p()
        self._con = ctypes.c_void_p()
        if self._lib.duckdb_open(path.encode() if path else None, ctypes.byref(self._db)) != 0:
            raise DuckError(f"duckdb_open({path!r}) failed")
        if self._lib.duckdb_connect(self._db, ctypes.byref(self._con)) != 0:
            self._lib.duckdb_close(ctypes.byref(self._db))
            raise DuckError("duckdb_connect failed")

    def _run(self, sql, fetch):
        res = _Result()
        state = self._lib.duckdb_query(self._con, sql.encode(), ctypes.byref(res))
        try:
            if state != 0:
                err = self._lib.duckdb_result_error(ctypes.byref(res))
                raise DuckError((err or b"unknown error").decode("utf-8", "replace"))
            if not fetch:
                return None
            ncols = self._lib.duckdb_column_count(ctypes.byref(res))
            nrows = self._lib.duckdb_row_count(ctypes.byref(res))
            names = [self._lib.duckdb_column_name(ctypes.byref(res), c).decode() for c in range(ncols)]
            rows = []
            for r in range(nrows):
                row = []
                for c in range(ncols):
                    if self._lib.duckdb_value_is_null(ctypes.byref(res), c, r):
                        row.append(None)
                        continue
                    p = self._lib.duckdb_value_varchar(ctypes.byref(res), c, r)
                    try:
                        row.append(ctypes.string_at(p).decode("utf-8", "replace") if p else None)
                    finally:
                        if p:
                            self._lib.duckdb_free(p)
                rows.append(tuple(row))
            return names, rows
        finally:
            self._lib.duckdb_destroy_result(ctypes.byref(res))

    def execute(self, sql):
        """Runs one or more statements; raises DuckError with DuckDB's message on failure."""
        self._run(sql, fetch=False)

    def query(self, sql):
        """Rows of the last statement, every value as text (None for NULL)."""
        return self._run(sql, fetch=True)[1]

    def query_with_names(self, sql):
        return self._run(sql, fetch=True)

    def close(self):
        if self._con:
            self._lib.duckdb_disconnect(ctypes.byref(self._con))
            self._con = ctypes.c_void_p()
        if self._db:
            self._lib.duckdb_close(ctypes.byref(self._db))
            self._db = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def sql_str(s):
    """A SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


def write_parquet(path, columns, rows, compression="snappy"):
    """Writes `rows` (tuples of Python values) as a Parquet file with `columns` [(name, duckdb_type)].

    Values go through a VALUES list (fine for the few thousand rows tests use); bigger data sets should
    be generated in SQL directly.
    """
    def lit(v, t):
        if v is None:
            return f"CAST(NULL AS {t})"
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, (int, float)):
            return f"CAST({v!r} AS {t})"
        return f"CAST({sql_str(v)} AS {t})"

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    names = ", ".join(f'"{n}"' for n, _ in columns)
    with Duck() as db:
        if not rows:
            select = "SELECT " + ", ".join(f"CAST(NULL AS {t}) AS \"{n}\"" for n, t in columns) + " WHERE false"
        else:
            values = ",\n".join("(" + ", ".join(lit(v, t) for v, (_, t) in zip(r, columns)) + ")" for r in rows)
            select = f"SELECT * FROM (VALUES {values}) AS t({names})"
        db.execute(f"COPY ({select}) TO {sql_str(path)} (FORMAT PARQUET, COMPRESSION {compression})")
