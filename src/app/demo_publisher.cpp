#include "app/demo_publisher.hpp"

#include "bus/bus_port.hpp"

#include <boost/asio/post.hpp>

#include <chrono>
#include <fmt/chrono.h>
#include <fmt/format.h>

namespace herald {

demo_publisher::demo_publisher(net::io_context& io, bus_port& bus)
    : timer_(io)
    , bus_(bus) {}

void demo_publisher::start() {
    net::post(timer_.get_executor(), [this] { schedule(); });
}

void demo_publisher::stop() {
    net::post(timer_.get_executor(), [this] {
        stopped_ = true;
        timer_.cancel();
    });
}

void demo_publisher::schedule() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](error_code ec) {
        if (!ec && !stopped_) {
            publish();
            schedule();
        }
    });
}

void demo_publisher::publish() {
    const auto now = std::chrono::system_clock::now();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    bus_.publish({"demo",
                  "clock",
                  "tick",
                  fmt::format(R"({{"time":"{:%Y-%m-%dT%H:%M:%S}Z","unix_ms":{},"count":{}}})",
                              fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ms, ++count_),
                  {}},
                 {});
}

} // namespace herald
