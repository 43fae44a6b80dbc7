#pragma once
// Namespace aliases used by the transport code.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace herald {
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
} // namespace herald
