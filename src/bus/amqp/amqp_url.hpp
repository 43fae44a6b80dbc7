#pragma once
// A RabbitMQ node a bus may connect to, read from an amqp:// URL with rabbitmq-c's own parser.

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace herald {

struct amqp_endpoint {
    std::string host;
    int port = 5672;
    std::string user = "guest";
    std::string password = "guest";
    std::string vhost = "/";
    std::string masked_url; // the URL with its password hidden: for logs and readiness reasons
};

// The endpoint, or why the URL cannot be used. amqp://user:pass@host:port/vhost; an empty vhost
// ("amqp://host/" or "amqp://host") is "/", as Bunny and pika read it (rabbitmq-c alone would
// ask for a vhost named ""). amqps:// is refused: TLS is not supported yet.
boost::system::result<amqp_endpoint, std::string> parse_amqp_url(std::string_view url);

} // namespace herald
