// Durability helpers for files the server writes itself: small config files written atomically
// (root credentials, node identity) and the directory fsyncs the BlobStore's write path needs.
//
// Every function reports failure through IoError (below) and never leaves a partially written destination
// file behind. Thread-safe (no shared state).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::store {

// Replaces `path` with `contents` atomically and durably: write <path>.tmp.<random> in the same
// directory -> fsync(file) -> rename over `path` -> fsync(directory). After a crash `path` holds
// either the old or the new contents, never a mix. `mode` is applied at creation (e.g. 0600 for
// secrets), independent of the umask, so the secret is never readable by others, not even briefly.
Status WriteFileDurably(const std::string& path, std::string_view contents, mode_t mode = 0644);

// Reads a whole file. NotFound errors carry code "NoSuchFile" (http_status 404) so callers can
// tell a missing file from an I/O failure.
Result<std::string> ReadFile(const std::string& path);

// fsync(2) on a directory, which makes the entries created, renamed or removed in it durable.
Status FsyncDirectory(const std::string& dir);

// fdatasync(2) on the file at `path`: makes what any process wrote to it so far durable.
Status FsyncFile(const std::string& path);

// mkdir -p, durably: every directory this call creates is fsynced into its parent.
Status CreateDirectoriesDurably(const std::string& dir, mode_t mode = 0755);

// The parent directory of `path` ("." if it has no slash, "/" for top-level entries).
std::string ParentDirectory(const std::string& path);

// Writes all of [data, data+n) at the file's offset, retrying short writes and EINTR. False on an
// I/O error (errno says which).
bool WriteAll(int fd, const char* data, std::size_t n);

// Sets the modification time of an immutable file (a blob, a cache file named by its content) one hour
// into the past. Readers that validate caches by mtime distrust files modified in the last seconds
// (DuckDB ignores its Parquet footer cache for 10 s after a file's mtime), which an immutable file
// never needs. Best effort: false if the kernel refused.
bool BackdateModificationTime(int fd);

// Error{"InternalError", "<what>: <path>: <strerror(err)>", 500}, logged at error level. A full disk or
// quota (ENOSPC, EDQUOT) is InsufficientStorage instead (free_space.hpp: 507, not retried by clients, no
// path in the message; the path goes to the log).
Error IoError(std::string_view what, const std::string& path, int err);

}  // namespace cenote::store
