#include "server/api_spool.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "server/data_file.h"

namespace kongsi::server {

Result<std::unique_ptr<SpoolFile>> SpoolFile::Create(const std::string& data_dir,
                                                     std::string_view suffix) {
  const std::string dir = data_dir + "/" + kSpoolDirName;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IoError(dir + ": cannot create: " + std::strerror(errno));
  }
  std::string tmpl = dir + "/" + kSpoolPrefix + "XXXXXX" + std::string(suffix);
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = ::mkstemps(buf.data(), static_cast<int>(suffix.size()));  // mode 0600
  if (fd < 0) return Status::IoError(tmpl + ": cannot create: " + std::strerror(errno));
  ::close(fd);
  return std::unique_ptr<SpoolFile>(new SpoolFile(std::string(buf.data())));
}

SpoolFile::~SpoolFile() { ::unlink(path_.c_str()); }

Status SpoolFile::Write(std::string_view text) { return WriteFileAtomically(path_, text, 0600); }

Result<std::unique_ptr<SpoolDir>> SpoolDir::CreateIn(const std::string& parent,
                                                     const char* prefix) {
  if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IoError(parent + ": cannot create: " + std::strerror(errno));
  }
  std::string tmpl = parent + "/" + prefix + "XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {  // mode 0700
    return Status::IoError(tmpl + ": cannot create: " + std::strerror(errno));
  }
  return std::unique_ptr<SpoolDir>(new SpoolDir(std::move(tmpl)));
}

Result<std::unique_ptr<SpoolDir>> SpoolDir::Create(const std::string& data_dir) {
  return CreateIn(data_dir + "/" + kSpoolDirName, kSpoolPrefix);
}

Result<std::unique_ptr<SpoolDir>> SpoolDir::CreateTemp() {
  std::error_code ec;
  std::string parent = std::filesystem::temp_directory_path(ec).string();
  if (ec) parent = "/tmp";
  return CreateIn(parent, "kongsi-");
}

SpoolDir::~SpoolDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void RemoveStaleSpoolFiles(const std::string& data_dir) {
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(data_dir + "/" + kSpoolDirName, ec)) {
    if (entry.path().filename().string().rfind(kSpoolPrefix, 0) == 0) {
      std::filesystem::remove_all(entry.path(), ec);  // files and SpoolDirs
    }
  }
}

std::string RenamePathInMessage(std::string message, const std::string& path,
                                const std::string& name) {
  if (path.empty()) return message;
  for (size_t at = message.find(path); at != std::string::npos;
       at = message.find(path, at + name.size())) {
    message.replace(at, path.size(), name);
  }
  return message;
}

}  // namespace kongsi::server
