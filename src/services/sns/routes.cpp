// SNS's unsigned routes (sns_provider.hpp MessageLinkRoutes).
#include "common/strings.hpp"
#include "services/sns/sns_provider.hpp"

namespace cenote::sns {

std::vector<aws::UnsignedRoute> MessageLinkRoutes() {
  aws::UnsignedRoute links;
  links.method = "GET";
  links.accepts = [](const http::HttpRequest& request) {
    if (request.Path() != "/") return false;
    for (std::string_view param : SplitString(request.Query(), '&')) {
      if (param == "Action=ConfirmSubscription" || param == "Action=Unsubscribe") return true;
    }
    return false;
  };
  aws::UnsignedRoute certificate;
  certificate.method = "GET";
  certificate.accepts = [](const http::HttpRequest& request) {
    const std::string_view path = request.Path();
    return path.starts_with("/SimpleNotificationService-") && path.ends_with(".pem") &&
           path.find('/', 1) == std::string_view::npos;
  };
  certificate.rewrite = [](http::HttpRequest& request) {
    request.target =
        "/?Action=GetSigningCertificate&CertificateName=" + std::string(request.Path().substr(1));
  };
  std::vector<aws::UnsignedRoute> routes;
  routes.push_back(std::move(links));
  routes.push_back(std::move(certificate));
  return routes;
}

}  // namespace cenote::sns
