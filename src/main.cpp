// herald: config → server → run until SIGINT/SIGTERM. `herald publish` and `herald send` send
// one event.

#include "app/api_commands.hpp"
#include "app/config.hpp"
#include "app/server.hpp"
#include "util/log.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <pthread.h>

namespace {

// Blocks the stop signals in every thread (threads inherit the mask), so only sigwait sees them.
sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    return signals;
}

// A flag given on the command line wins over the file and the environment.
template <typename Setting, typename Flag>
void override_with(Setting& setting, const std::optional<Flag>& flag) {
    if (flag) {
        setting = *flag;
    }
}

int serve(herald::config settings) {
    const auto signals = block_stop_signals();
    const auto threads = settings.threads;
    herald::server node(std::move(settings));
    node.start();
    const auto where = node.local_endpoint();
    herald::log::info("herald listening on http://{}:{} (node {:04x}, {} threads, bus {})",
                      where.address().to_string(), where.port(), node.node_id(), threads,
                      node.bus_description());
    int signal = 0;
    sigwait(&signals, &signal);
    herald::log::info("{} received: shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
    node.stop();
    herald::log::info("stopped");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Herald: a WebSocket event gateway. Clients subscribe to exchanges and routing "
                 "keys; back ends publish events; Herald fans them out.",
                 "herald"};
    app.set_version_flag("--version", "herald 0.1.0");

    std::string config_file;
    std::optional<std::uint16_t> port;
    std::optional<std::string> bind, api_key, log_level, bus;
    std::optional<unsigned> threads;
    std::optional<std::uint16_t> node_id;
    std::optional<double> shutdown_time;
    app.add_option("-c,--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);
    app.add_option(
        "-p,--port", port,
        "Port for WebSocket and HTTP (default: HERALD_PORT, MYXI_PORT, MIXI_PORT, PORT, 5005)");
    app.add_option("--bind", bind, "Address to listen on (default: MYXI_BIND_ADDRESS, 0.0.0.0)");
    app.add_option("--threads", threads, "Shards, one thread each (default 0: one per core)")
        ->check(CLI::Range(0u, 64u));
    app.add_option("--node-id", node_id, "Node id, unique in the cluster (default: random)");
    app.add_option("--api-key", api_key, "Bearer key for POST /api/publish (or HERALD_API_KEY)");
    app.add_option("--shutdown-time", shutdown_time,
                   "Seconds over which sessions are closed on SIGTERM (default 0: at once)")
        ->check(CLI::Range(0.0, 3600.0));
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
    app.add_option("--bus", bus,
                   "Bus URL(s), comma-separated: memory, amqp://user:pass@host:port/vhost or "
                   "redis://host:port/db (default: [bus] url, HERALD_BUS_URL, RABBITMQ_URL, "
                   "REDIS_URL, PL_REDIS_URL, memory)");

    auto* publish = app.add_subcommand("publish", "Publish one event through a node's HTTP API");
    herald::publish_options p;
    publish->add_option("--url", p.url, "The node (default http://127.0.0.1:5005)");
    publish->add_option("--api-key", p.api_key, "Bearer key (default: HERALD_API_KEY)");
    publish->add_option("--exchange", p.exchange, "Exchange")->required();
    publish->add_option("--routing-key", p.routing_key, "Routing key")->required();
    publish->add_option("--event", p.event, "Event name")->required();
    publish->add_option("--payload", p.payload, "Payload: JSON text (default {})");

    auto* send = app.add_subcommand(
        "send", "Send one event to sessions (every one, an endpoint's, one by id, an identity's)");
    herald::send_options sent;
    send->add_option("--url", sent.url, "The node (default http://127.0.0.1:5005)");
    send->add_option("--api-key", sent.api_key, "Bearer key (default: HERALD_API_KEY)");
    send->add_flag("--all", sent.all, "Every session of the cluster");
    send->add_option("--endpoint", sent.endpoint, "Every session of the endpoint with this path");
    send->add_option("--skip", sent.skip, "With --endpoint: a session id left out (repeatable)");
    send->add_option("--session", sent.session, "The session with this id (16 hex digits)");
    send->add_option("--identity", sent.identity, "Every session of this identity");
    send->add_option("--event", sent.event, "Event name")->required();
    send->add_option("--payload", sent.payload, "Payload: JSON text (default {})");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "herald: " << e.what() << '\n';
        return 2;
    }
    herald::log::set_level("info");
    if (publish->parsed()) {
        return herald::run_publish(p);
    }
    if (send->parsed()) {
        return herald::run_send(sent);
    }

    herald::config settings;
    try {
        if (!config_file.empty()) {
            herald::apply_toml_file(settings, config_file);
        }
        herald::apply_environment(settings);
        override_with(settings.port, port);
        override_with(settings.bind, bind);
        override_with(settings.api_key, api_key);
        override_with(settings.log_level, log_level);
        override_with(settings.threads, threads);
        override_with(settings.node_id, node_id);
        if (bus) {
            settings.bus.urls = herald::bus_urls(*bus);
            settings.bus_url_set = true;
        }
        herald::apply_seed_bus_environment(settings);
        if (shutdown_time) {
            settings.shutdown_time =
                std::chrono::milliseconds(static_cast<std::int64_t>(*shutdown_time * 1000));
        }
        herald::validate(settings);
        if (!herald::log::set_level(settings.log_level)) {
            throw herald::config_error("config: log_level: must be trace, debug, info, warn, "
                                       "error or off");
        }
        return serve(std::move(settings));
    } catch (const herald::config_error& e) {
        std::cerr << "herald: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "herald: cannot start: " << e.what() << '\n';
        return 1;
    }
}
