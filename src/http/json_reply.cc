#include "http/json_reply.h"

namespace swarm::http {

int HttpStatus(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted: return 409;
    case StatusCode::kFailedPrecondition: return 412;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kCancelled: return 499;
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

Json ErrorJson(const Status& status) {
  return Json{{"code", std::string(StatusCodeName(status.code()))}, {"message", status.message()}};
}

void ReplyJson(httplib::Response& res, const Json& body, int http_status) {
  res.status = http_status;
  res.set_content(body.dump(2) + "\n", "application/json");
}

void ReplyError(httplib::Response& res, const Status& status) {
  ReplyJson(res, Json{{"error", ErrorJson(status)}}, HttpStatus(status.code()));
}

StatusOr<Json> ParseJsonObject(const httplib::Request& req) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  Json body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    // Parsed again with exceptions only to learn where it broke.
    std::string where;
    try {
      Json again = Json::parse(req.body);
      (void)again;
    } catch (const Json::parse_error& e) {
      where = " (byte " + std::to_string(e.byte) + ")";
    }
    return InvalidArgument("the request body is not valid JSON" + where +
                           "; expected a JSON object such as {\"command\": \"LIST NODES\"}");
  }
  if (!body.is_object()) {
    return InvalidArgument("the request body is JSON " + std::string(body.type_name()) +
                           "; expected a JSON object");
  }
  return body;
}

}  // namespace swarm::http
