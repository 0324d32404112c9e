#pragma once

// Replies of Swarm's HTTP servers: JSON bodies, and failures as {"error": {"code",
// "message"}} under the HTTP status that grpc-gateway gives the same gRPC code, so one
// Status means the same thing over gRPC, over HTTP and at the SWCI prompt.

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace swarm::http {

using Json = nlohmann::ordered_json;

// 400 for INVALID_ARGUMENT, 404 NOT_FOUND, 409 ALREADY_EXISTS/ABORTED, 412
// FAILED_PRECONDITION, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 503 UNAVAILABLE, 504
// DEADLINE_EXCEEDED, 499 CANCELLED, 500 for the rest.
int HttpStatus(StatusCode code);

// {"code": "NOT_FOUND", "message": "..."}.
Json ErrorJson(const Status& status);

void ReplyJson(httplib::Response& res, const Json& body, int http_status = 200);
// {"error": ErrorJson(status)} under HttpStatus(status.code()).
void ReplyError(httplib::Response& res, const Status& status);

// The request's body as a JSON object; an empty body is {}. Anything else is
// INVALID_ARGUMENT naming the parse error's place and the expected form.
StatusOr<Json> ParseJsonObject(const httplib::Request& req);

}  // namespace swarm::http
