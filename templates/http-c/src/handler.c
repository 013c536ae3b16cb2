// {{name}}: an HTTP handler component. Every request gets 200 and a greeting.
// The wasi_http_types_* functions are the bindings wit-bindgen writes from wit/ (bindings/handler.h).
#include <string.h>
#include "handler.h"

static const char GREETING[] = "hello from {{name}} (c)\n";

void exports_wasi_http_incoming_handler_handle(exports_wasi_http_incoming_handler_own_incoming_request_t request,
                                               exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
  wasi_http_types_incoming_request_drop_own(request);

  wasi_http_types_own_fields_t headers = wasi_http_types_constructor_fields();
  wasi_http_types_field_name_t name;
  handler_string_set(&name, "content-type");
  wasi_http_types_field_value_t value = {(uint8_t *)"text/plain", strlen("text/plain")};
  wasi_http_types_header_error_t header_error;
  if (!wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(headers), &name, &value, &header_error))
    __builtin_trap();

  wasi_http_types_own_outgoing_response_t response = wasi_http_types_constructor_outgoing_response(headers);
  if (!wasi_http_types_method_outgoing_response_set_status_code(wasi_http_types_borrow_outgoing_response(response),
                                                                200))
    __builtin_trap();
  wasi_http_types_own_outgoing_body_t body;
  if (!wasi_http_types_method_outgoing_response_body(wasi_http_types_borrow_outgoing_response(response), &body))
    __builtin_trap();
  // The head goes out now; the body follows.
  wasi_http_types_result_own_outgoing_response_error_code_t result = {.is_err = false, .val = {.ok = response}};
  wasi_http_types_static_response_outparam_set(response_out, &result);

  wasi_io_streams_own_output_stream_t stream;
  if (!wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(body), &stream))
    __builtin_trap();
  // One call writes at most 4096 bytes; the greeting is shorter.
  handler_list_u8_t chunk = {(uint8_t *)GREETING, strlen(GREETING)};
  wasi_io_streams_stream_error_t stream_error;
  if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(wasi_io_streams_borrow_output_stream(stream),
                                                                     &chunk, &stream_error))
    __builtin_trap();
  wasi_io_streams_output_stream_drop_own(stream);
  wasi_http_types_error_code_t finish_error;
  if (!wasi_http_types_static_outgoing_body_finish(body, NULL, &finish_error)) __builtin_trap();
}
