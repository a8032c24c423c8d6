#include "server/data_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kongsi::server {
namespace {

std::string Errno(int err) { return std::strerror(err); }

}  // namespace

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes, const char* limit_name) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IoError(path + ": cannot open: " + Errno(err));
  }
  std::string out;
  Status status;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = Status::IoError(path + ": cannot read: " + Errno(errno));
      break;
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      status = Status::InvalidArgument(
          path + ": larger than " + std::to_string(max_bytes) + " bytes" +
          (limit_name ? std::string(", the limit (") + limit_name + ")" : std::string("; not a file of ours")));
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!status.ok()) return status;
  return out;
}

Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  const std::string tmp = path + ".tmp";
  // O_TRUNC without O_EXCL: a tmp file left by a crash is simply reused.
  // fchmod too, since an old tmp file keeps its old mode.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::IoError(tmp + ": cannot create: " + Errno(errno));
  Status status;
  if (::fchmod(fd, mode) != 0) status = Status::IoError(tmp + ": chmod: " + Errno(errno));
  size_t done = 0;
  while (status.ok() && done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = Status::IoError(tmp + ": cannot write: " + Errno(errno));
    } else {
      done += static_cast<size_t>(n);
    }
  }
  if (status.ok() && ::fsync(fd) != 0) status = Status::IoError(tmp + ": fsync: " + Errno(errno));
  if (::close(fd) != 0 && status.ok()) status = Status::IoError(tmp + ": close: " + Errno(errno));
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = Status::IoError(path + ": cannot rename into place: " + Errno(errno));
  }
  if (!status.ok()) ::unlink(tmp.c_str());
  return status;
}

}  // namespace kongsi::server
