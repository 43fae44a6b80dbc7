#pragma once

#include "shard/shard_connection.hpp"
#include "transport/http_api.hpp"
#include "util/net.hpp"

#include <boost/beast/http/parser.hpp>

#include <memory>
#include <optional>
#include <string>

namespace herald {

class shard;

// A TCP connection before (or instead of) a WebSocket upgrade: reads HTTP/1.1 requests,
// answers them, and hands the socket to a WebSocket session on an upgrade.
// Lives on its shard's thread.
class http_connection : public shard_connection,
                        public std::enable_shared_from_this<http_connection> {
public:
    http_connection(shard& owner, tcp::socket socket);
    ~http_connection() override;

    void start();

private:
    using request_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

    void new_parser();
    void wait_readable();
    void on_readable(error_code ec);
    void parse();
    void on_request();
    bool try_upgrade(std::string_view path);
    void respond(const http_response& response, bool keep_alive);
    void finish();
    void on_tick(steady_time now) override;
    void on_shutdown(steady_time close_at) override;
    void abort() override { finish(); }

    shard& shard_;
    tcp::socket socket_;
    std::optional<request_parser> parser_;
    std::string received_; // bytes the parser has not consumed yet
    std::string response_;
    steady_time deadline_; // a request must be complete by then
    bool writing_ = false;
    bool keep_alive_ = true;
    bool finished_ = false;
};

} // namespace herald
