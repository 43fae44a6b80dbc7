#include "dialects/echo/echo_dialect.hpp"

namespace herald {
namespace {

// Lives on its shard's thread.
class echo_session final : public dialect_session {
public:
    explicit echo_session(session_port& port)
        : port_(port) {}

    void on_open() override {}
    void on_message(std::string_view payload, bool binary) override {
        if (binary) {
            port_.send_binary(payload);
        } else {
            port_.send_text(payload);
        }
    }

private:
    session_port& port_;
};

} // namespace

std::unique_ptr<dialect_session> echo_dialect::open(session_port& port, const session_env&,
                                                    const upgrade_request&) const {
    return std::make_unique<echo_session>(port);
}

} // namespace herald
