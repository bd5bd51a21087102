#pragma once

/// Namespace aliases shared by the HTTP layer (one place, as CppCon2018's net.hpp does).
///
/// Only aliases live here; including this header pulls in no Asio or Beast code.

namespace boost::asio {
}
namespace boost::beast {
}
namespace boost::beast::http {
}

namespace broker::server {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
} // namespace broker::server
