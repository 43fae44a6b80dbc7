// libFuzzer: a message on the RabbitMQ mail-control exchange, which anyone who may publish to
// the broker can send. Whatever it is, it is no word, or a word that encodes back to itself.
#include "bus/amqp/mail_control.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto word = herald::parse_mail_control(body);
    if (word && herald::encode_mail_control(*word) != body) {
        std::abort();
    }
    return 0;
}
