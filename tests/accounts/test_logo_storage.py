"""Logos in a bucket that every node shares (MEDIA_STORAGE=s3, django-storages' S3 backend, for any
S3-compatible service): what one node saves, another serves, with no folder in common. The bucket is moto's
S3 server on 127.0.0.1; nothing leaves the machine."""

import os
import sys
from collections.abc import Iterator

import boto3
import pytest
import requests
from django.core.files.base import ContentFile

from accounts.models import Organisation
from tests.factories import image
from tests.processes import free_port, gunicorn_server, logging_to, serving

BUCKET = "praktijk-logos"
REGION = "eu-central-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test-key-id", "AWS_SECRET_ACCESS_KEY": "test-secret"}


@pytest.fixture
def bucket(tmp_path) -> Iterator[dict[str, str]]:
    """An empty bucket on a local S3 server; yields the variables a node sets to use it."""
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    # Credentials are given, so boto never asks an instance-metadata address; this says so twice.
    env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true"}
    with logging_to(tmp_path / "s3.log") as output, serving(command, port=port, env=env, output=output) as address:
        client(address).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield {
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": address,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            **CREDENTIALS,
        }


def client(address: str):
    return boto3.client(
        "s3",
        endpoint_url=address,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def node_a(settings, bucket, tmp_path):
    """This process as a node on the bucket, as MEDIA_STORAGE=s3 configures it, with a media folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "node-a"
    storage = settings.MEDIA_STORAGES["s3"]
    options = {
        **storage["OPTIONS"],
        "bucket_name": BUCKET,
        "endpoint_url": bucket["AWS_S3_ENDPOINT_URL"],
        "region_name": REGION,
        "access_key": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "secret_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": storage["BACKEND"], "OPTIONS": options}}
    return bucket


def test_a_logo_saved_on_one_node_is_served_by_another_from_the_shared_bucket(node_a, tmp_path, settings):
    organisation = Organisation(name="Praktijk De Linde")
    organisation.logo.save("logo.png", ContentFile(image("red")), save=False)
    url = organisation.logo.url

    keys = [item["Key"] for item in client(node_a["AWS_S3_ENDPOINT_URL"]).list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [organisation.logo.name]
    assert not (settings.MEDIA_ROOT / organisation.logo.name).exists()
    # The other node: its own process and its own (empty, temporary) media folder, the same bucket.
    with gunicorn_server(var_dir=tmp_path / "node-b", env=node_a, log=tmp_path / "node-b.log") as node_b:
        response = requests.get(f"{node_b}{url}", timeout=10)
        missing = requests.get(f"{node_b}{url.replace('.png', '0.png')}", timeout=10)

    assert response.status_code == 200, (tmp_path / "node-b.log").read_text()
    assert response.content == image("red")
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert missing.status_code == 404
