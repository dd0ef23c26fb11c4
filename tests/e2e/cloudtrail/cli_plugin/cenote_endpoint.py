"""AWS CLI plugin: every client the CLI creates without an endpoint uses $AWS_ENDPOINT_URL (or
$AWS_ENDPOINT_URL_<SERVICE>), as AWS CLI v2.13+ and botocore 1.31+ do natively.

`aws cloudtrail validate-logs` makes its S3 clients itself (one per bucket region) and passes them no
--endpoint-url; CLI releases older than 2.13 (Debian 12 ships 2.9) ignore AWS_ENDPOINT_URL, so those clients
would go to AWS. This plugin brings the newer behaviour to them. Enable it in the CLI's config file:

    [plugins]
    cli_legacy_plugin_path = <this directory>
    cenote_endpoint = cenote_endpoint
"""
import os


def _endpoint_for(service_name):
    specific = "AWS_ENDPOINT_URL_" + service_name.upper().replace("-", "_").replace(" ", "_")
    return os.environ.get(specific) or os.environ.get("AWS_ENDPOINT_URL")


def _wrap(session):
    original = session.create_client
    if getattr(original, "_cenote_wrapped", False):
        return

    def create_client(service_name, *args, **kwargs):
        if kwargs.get("endpoint_url") is None:
            endpoint = _endpoint_for(service_name)
            if endpoint:
                kwargs["endpoint_url"] = endpoint
        return original(service_name, *args, **kwargs)

    create_client._cenote_wrapped = True
    session.create_client = create_client


def awscli_initialize(cli):
    cli.register("session-initialized", lambda session, **kwargs: _wrap(session))
