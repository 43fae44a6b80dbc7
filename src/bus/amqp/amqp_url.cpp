#include "bus/amqp/amqp_url.hpp"

#include "bus/bus_settings.hpp"

#include <amqp.h>
#include <fmt/format.h>
#include <vector>

namespace herald {
namespace {

boost::system::result<amqp_endpoint, std::string> refuse(std::string why) {
    return {boost::system::in_place_error, std::move(why)};
}

} // namespace

boost::system::result<amqp_endpoint, std::string> parse_amqp_url(std::string_view url) {
    amqp_endpoint out;
    out.masked_url = masked_url(url);
    if (url.starts_with("amqps://")) {
        return refuse(
            fmt::format("\"{}\": amqps:// (TLS) is not supported; use amqp://", out.masked_url));
    }
    if (url.find('\0') != std::string_view::npos) {
        return refuse(fmt::format("\"{}\" is not an amqp:// URL", out.masked_url));
    }
    // amqp_parse_url cuts its argument into pieces in place (and decodes %xx there).
    std::vector<char> buffer(url.begin(), url.end());
    buffer.push_back('\0');
    amqp_connection_info info{};
    if (amqp_parse_url(buffer.data(), &info) != AMQP_STATUS_OK || info.ssl) {
        return refuse(fmt::format("\"{}\" is not an amqp://user:password@host:port/vhost URL",
                                  out.masked_url));
    }
    out.host = info.host;
    out.port = info.port;
    out.user = info.user;
    out.password = info.password;
    out.vhost = *info.vhost == '\0' ? "/" : info.vhost;
    if (out.host.empty()) {
        return refuse(fmt::format("\"{}\" names no host", out.masked_url));
    }
    return out;
}

} // namespace herald
