// The parser for a request's header: Beast's, with the two limits it lacks.
// Beast keeps a field in 16 bits and throws std::length_error for a longer
// one, from inside the read on the io thread, where nothing catches it: one
// local client could abort the server. It also counts no fields. Both are
// answered here with header_limit instead, and why() says which limit hit.
#pragma once

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <string>
#include <utility>

#include "server/api_types.h"

namespace kongsi::server {

class ApiHeaderParser : public boost::beast::http::request_parser<boost::beast::http::empty_body> {
 public:
  using Base = boost::beast::http::request_parser<boost::beast::http::empty_body>;

  // For a body parser to take over (its converting constructor wants the
  // base type exactly; a derived one picks its forwarding constructor).
  Base&& ToBodyParser() { return std::move(static_cast<Base&>(*this)); }

  // Whether reading the header (ending with `ec`, `header_bytes` long) broke
  // a limit, to be answered 431 with why(). Beast holds the request line and
  // the fields to header_limit each, so the whole header (what the limit is
  // about) is checked here too.
  static bool OverLimit(const boost::beast::error_code& ec, size_t header_bytes) {
    return ec == boost::beast::http::error::header_limit || (!ec && header_bytes > kMaxApiHeaderBytes);
  }

  // The broken limit after a header_limit error, named for the 431 answer.
  std::string why() const {
    if (too_many_) {
      return "more than " + std::to_string(kMaxApiHeaderFields) +
             " header fields, the limit (kMaxApiHeaderFields)";
    }
    if (too_long_) {
      return "a header field over " + std::to_string(kMaxApiHeaderFieldBytes) +
             " bytes, the limit (kMaxApiHeaderFieldBytes)";
    }
    return "request line and headers over " + std::to_string(kMaxApiHeaderBytes) +
           " bytes, the limit (kMaxApiHeaderBytes)";
  }

 private:
  // Overrides Beast's (private, but virtual) field callback; it only
  // inserted the field, which is done here once the limits hold.
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override {
    too_many_ = ++fields_ > kMaxApiHeaderFields;
    too_long_ = name_string.size() + value.size() > kMaxApiHeaderFieldBytes;
    if (too_many_ || too_long_) {
      ec = boost::beast::http::error::header_limit;
      return;
    }
    get().insert(name, name_string, value);
  }

  size_t fields_ = 0;
  bool too_many_ = false;
  bool too_long_ = false;
};

}  // namespace kongsi::server
