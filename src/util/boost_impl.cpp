// Asio and Beast are compiled once, here (BOOST_*_SEPARATE_COMPILATION), instead of in every
// translation unit that includes them: on our 2-core machines that halves the build time.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
