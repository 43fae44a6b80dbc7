#include "bus/redis/asio_adapter.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>

#include <hiredis/async.h>
#include <memory>

namespace herald {
namespace {

// One per hiredis async context, owned by itself (self_) until hiredis's cleanup, and by each
// wait it has armed until that wait's handler has run. Lives on the executor's thread.
class asio_adapter final : public std::enable_shared_from_this<asio_adapter> {
public:
    asio_adapter(redisAsyncContext* context, net::any_io_executor executor)
        : context_(context)
        , socket_(std::move(executor)) {}

    bool attach() {
        error_code ec;
        socket_.assign(context_->c.fd, ec);
        if (ec) {
            return false;
        }
        self_ = shared_from_this();
        context_->ev.data = this;
        context_->ev.addRead = &add_read;
        context_->ev.delRead = &del_read;
        context_->ev.addWrite = &add_write;
        context_->ev.delWrite = &del_write;
        context_->ev.cleanup = &cleanup;
        return true;
    }

private:
    static asio_adapter& of(void* data) { return *static_cast<asio_adapter*>(data); }

    // The hooks must be idempotent: hiredis asks to read after every read and every write.
    static void add_read(void* data) {
        auto& self = of(data);
        self.want_read_ = true;
        self.arm_read();
    }
    static void del_read(void* data) { of(data).want_read_ = false; }
    static void add_write(void* data) {
        auto& self = of(data);
        self.want_write_ = true;
        self.arm_write();
    }
    static void del_write(void* data) { of(data).want_write_ = false; }

    // hiredis is freeing the context: forget it, and give the socket back without closing it,
    // since hiredis closes it. release() also ends the armed waits (operation_aborted).
    static void cleanup(void* data) {
        auto& self = of(data);
        // Held until the end of this function: the adapter may be destroyed right after it.
        const auto keep = std::move(self.self_);
        self.context_ = nullptr;
        self.want_read_ = false;
        self.want_write_ = false;
        if (self.socket_.is_open()) {
            self.socket_.release();
        }
    }

    // A wait is armed only while hiredis wants it, and at most one of each kind: the handler
    // re-arms only if hiredis still wants it after handling (redisAsyncHandleRead may free
    // the context, which runs cleanup and clears context_).
    void arm_read() {
        if (read_armed_ || context_ == nullptr) {
            return;
        }
        read_armed_ = true;
        socket_.async_wait(net::posix::stream_descriptor::wait_read,
                           [self = shared_from_this()](const error_code& ec) {
                               self->read_armed_ = false;
                               if (ec || self->context_ == nullptr || !self->want_read_) {
                                   return;
                               }
                               redisAsyncHandleRead(self->context_);
                               if (self->want_read_) {
                                   self->arm_read();
                               }
                           });
    }

    void arm_write() {
        if (write_armed_ || context_ == nullptr) {
            return;
        }
        write_armed_ = true;
        socket_.async_wait(net::posix::stream_descriptor::wait_write,
                           [self = shared_from_this()](const error_code& ec) {
                               self->write_armed_ = false;
                               if (ec || self->context_ == nullptr || !self->want_write_) {
                                   return;
                               }
                               redisAsyncHandleWrite(self->context_);
                               if (self->want_write_) {
                                   self->arm_write();
                               }
                           });
    }

    redisAsyncContext* context_;
    net::posix::stream_descriptor socket_;
    std::shared_ptr<asio_adapter> self_;
    bool want_read_ = false;
    bool want_write_ = false;
    bool read_armed_ = false;
    bool write_armed_ = false;
};

} // namespace

bool attach_to_asio(redisAsyncContext* context, net::any_io_executor executor) {
    auto adapter = std::make_shared<asio_adapter>(context, std::move(executor));
    return adapter->attach();
}

} // namespace herald
