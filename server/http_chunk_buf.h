// The std::streambuf behind a streamed API answer (server/http_session.cc):
// route handlers write to an std::ostream; the session sends what they
// write as HTTP chunks.
#pragma once

#include <functional>
#include <streambuf>
#include <string_view>
#include <utility>
#include <vector>

namespace kongsi::server {

// Hands every `chunk_bytes` written (and every flush) to `sink`; once the
// sink fails, writes fail too, so a writer checking its stream stops early.
class ChunkBuf : public std::streambuf {
 public:
  ChunkBuf(std::function<bool(std::string_view)> sink, size_t chunk_bytes)
      : sink_(std::move(sink)), buf_(chunk_bytes) {
    setp(buf_.data(), buf_.data() + buf_.size());
  }
  bool failed() const { return !ok_; }

 protected:
  int_type overflow(int_type c) override {
    if (!Flush()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return Flush() ? 0 : -1; }

 private:
  bool Flush() {
    size_t n = static_cast<size_t>(pptr() - pbase());
    if (n > 0 && ok_) ok_ = sink_(std::string_view(pbase(), n));
    setp(buf_.data(), buf_.data() + buf_.size());
    return ok_;
  }
  std::function<bool(std::string_view)> sink_;
  std::vector<char> buf_;
  bool ok_ = true;
};

}  // namespace kongsi::server
