#pragma once
/// Namespace aliases for the proxy library's Asio/Beast code (one place, as CppCon2018's
/// net.hpp does). Headers of the public interface include only the light Asio pieces they
/// need; the heavy Beast includes stay in the .cpp files.
///
/// Thread safety: not applicable (aliases only).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace boost::beast {}
namespace boost::beast::http {}

namespace proxy {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

}  // namespace proxy
