#pragma once
// An answer a back-end worker publishes on a node's Redis reply channel.

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace herald {

// The answer's correlation id: the string member "correlation_id" of the JSON object the worker
// published (unescaped; the first one if it appears twice). Or why the message is not an answer
// (a short constant text): not JSON, not a JSON object, or no string "correlation_id".
using reply_correlation_result = boost::system::result<std::string, std::string_view>;
reply_correlation_result reply_correlation_id(std::string_view body);

} // namespace herald
