"""`describe` layouts against the outputs recorded in the reference
(openshift-imagestreams.md §6): real OCP output, the product docs' examples
and the ports of oc's describer tests. Expected texts hold real TABs; recorded outputs keep their long lines."""

# ruff: noqa: E501

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from imagestreams.cli.format.images import describe_image
from imagestreams.cli.format.streams import describe_stream

NOW = datetime(2024, 5, 2, 13, 0, 0, tzinfo=UTC)
A9C7 = "sha256:a9c7e1b1f3b5d2a6c8e0f4d2b6a8c0e2f4a6b8d0c2e4f6a8b0d2c4e6f8a0b2c4"
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
D5F2B = "sha256:5f2b8d4c6e8a0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d"


def at(delta: timedelta) -> str:
    return (NOW - delta).isoformat()


def spec(kind: str = "", name: str = "", namespace: str = "", **options) -> dict:
    source = {"kind": kind, "name": name, "namespace": namespace} if kind else None
    values = {
        "reference": False,
        "scheduled": False,
        "insecure": False,
        "import_mode": "Legacy",
        "reference_policy": "Source",
        "annotations": {},
        "generation": 1,
    }
    return {"from": source, **values, **options}


def event(reference: str, image: str, age: timedelta) -> dict:
    return {"created": at(age), "reference": reference, "image": image, "generation": 1}


def tag(name: str, spec_=None, items=(), conditions=(), pending=False) -> dict:
    return {
        "name": name,
        "spec": spec_,
        "items": list(items),
        "conditions": list(conditions),
        "import_pending": pending,
    }


def stream(name: str, project: str, age: timedelta, tags: list[dict], **fields) -> dict:
    return {
        "name": name,
        "project": project,
        "created": at(age),
        "generation": 3,
        "lookup_local": False,
        "annotations": {},
        "repository": "",
        "spec_repository": "",
        "tags": tags,
        **fields,
    }


def test_a_scheduled_tag_with_two_images_reads_like_ocp():
    # Real `oc describe is/myapp` on OCP 4 (2023 workshop, lab202).
    myapp = "docker.io/tinmancoding/myapp"
    new = "sha256:081524b099bb4e0f2aa7e18a27055a33aaf84bc48702017f5763eff7c09bb66b"
    old = "sha256:41b0f1c024df515fde49117ad4c4a530f30a122296aa9604164e5b64170543bb"
    source = spec("DockerImage", f"{myapp}:latest", scheduled=True)
    history = [
        event(f"{myapp}@{new}", new, timedelta(seconds=75)),
        event(f"{myapp}@{old}", old, timedelta(minutes=18)),
    ]
    described = describe_stream(
        stream(
            "myapp",
            "hello-image-streams",
            timedelta(minutes=18, seconds=20),
            [tag("latest", source, history)],
            annotations={"openshift.io/image.dockerRepositoryCheck": "2023-12-03T12:27:03Z"},
            repository="default-route-openshift-image-registry.apps-crc.testing/"
            "hello-image-streams/myapp",
        ),
        NOW,
    )
    assert described == (
        "Name:\t\t\tmyapp\n"
        "Namespace:\t\thello-image-streams\n"
        "Created:\t\t18 minutes ago\n"
        "Labels:\t\t\t<none>\n"
        "Annotations:\t\topenshift.io/image.dockerRepositoryCheck=2023-12-03T12:27:03Z\n"
        "Image Repository:\tdefault-route-openshift-image-registry.apps-crc.testing/"
        "hello-image-streams/myapp\n"
        "Image Lookup:\t\tlocal=false\n"
        "Unique Images:\t\t2\n"
        "Tags:\t\t\t1\n"
        "\n"
        "latest\n"
        "  updates automatically from registry docker.io/tinmancoding/myapp:latest\n"
        "\n"
        f"  * {myapp}@{new}\n"
        "      About a minute ago\n"
        f"    {myapp}@{old}\n"
        "      18 minutes ago\n"
    )


def ruby_stream() -> dict:
    """The reference's derived full example: a scheduled Local tag with catalog
    annotations, its alias, a failed first import and a pinned copy."""
    ubi = "registry.access.redhat.com/ubi9/ruby-31"
    catalog = {
        "description": "Build and run Ruby 3.1 applications on UBI 9.",
        "tags": "builder,ruby",
        "supports": "ruby:3.1,ruby",
        "sampleRepo": "https://github.com/sclorg/ruby-ex.git",
    }
    failure = {
        "type": "ImportSuccess",
        "status": "False",
        "reason": "NotFound",
        "message": 'dockerimage.image.openshift.io "registry.example.com/ruby-30:latest" not found',
        "generation": 2,
        "last_transition_time": at(timedelta(minutes=2)),
    }
    return stream(
        "ruby",
        "myproject",
        timedelta(hours=3),
        [
            tag(
                "3.0",
                spec("DockerImage", "registry.example.com/ruby-30:latest"),
                conditions=[failure],
            ),
            tag(
                "3.1",
                spec(
                    "DockerImage",
                    f"{ubi}:latest",
                    scheduled=True,
                    reference_policy="Local",
                    annotations=catalog,
                ),
                [
                    event(f"{ubi}@{A9C7}", A9C7, timedelta(minutes=12)),
                    event(f"{ubi}@{D5F2B}", D5F2B, timedelta(hours=3)),
                ],
            ),
            tag(
                "latest",
                spec("ImageStreamTag", "ruby:3.1", "myproject"),
                [event(f"{ubi}@{A9C7}", A9C7, timedelta(minutes=12))],
            ),
            tag(
                "stable",
                spec("ImageStreamImage", f"ruby@{D5F2B}", "myproject"),
                [event(f"{ubi}@{D5F2B}", D5F2B, timedelta(hours=2))],
            ),
        ],
        annotations={"openshift.io/image.dockerRepositoryCheck": "2024-05-02T10:15:04Z"},
        repository="image-registry.openshift-image-registry.svc:5000/myproject/ruby",
    )


RUBY_DESCRIBED = """\
Name:                   ruby
Namespace:              myproject
Created:                3 hours ago
Labels:                 <none>
Annotations:            openshift.io/image.dockerRepositoryCheck=2024-05-02T10:15:04Z
Image Repository:       image-registry.openshift-image-registry.svc:5000/myproject/ruby
Image Lookup:           local=false
Unique Images:          2
Tags:                   4

3.1 (latest)
  updates automatically from registry registry.access.redhat.com/ubi9/ruby-31:latest
    prefer registry pullthrough when referencing this tag

  Build and run Ruby 3.1 applications on UBI 9.
  Tags: builder, ruby
  Supports: ruby:3.1, ruby
  Example Repo: https://github.com/sclorg/ruby-ex.git

  * registry.access.redhat.com/ubi9/ruby-31@sha256:a9c7e1b1f3b5d2a6c8e0f4d2b6a8c0e2f4a6b8d0c2e4f6a8b0d2c4e6f8a0b2c4
      12 minutes ago
    registry.access.redhat.com/ubi9/ruby-31@sha256:5f2b8d4c6e8a0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d
      3 hours ago

3.0
  tagged from registry.example.com/ruby-30:latest

  ! error: Import failed (NotFound): dockerimage.image.openshift.io "registry.example.com/ruby-30:latest" not found
      2 minutes ago

stable
  tagged from ruby@sha256:5f2b8d4c6e8a0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d

  * registry.access.redhat.com/ubi9/ruby-31@sha256:5f2b8d4c6e8a0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d
      2 hours ago
"""


def test_aliases_fold_into_their_target_and_sections_follow_priority_order():
    described = describe_stream(ruby_stream(), NOW)
    assert described.expandtabs(8) == RUBY_DESCRIBED
    # The raw text has TABs where oc's tabwriter puts them.
    assert described.splitlines()[:3] == [
        "Name:\t\t\truby",
        "Namespace:\t\tmyproject",
        "Created:\t\t3 hours ago",
    ]
    assert "Tags:\t\t\t4\n" in described


def test_a_plain_tag_of_a_tag_is_its_own_section():
    # Docs example after `oc tag python:3.5 python:latest` (permanent tag, no alias).
    digest = "sha256:49c18358df82f4577386404991c51a9559f243e0b1bdc366df25" + "0" * 6
    centos = "centos/python-35-centos9"
    described = describe_stream(
        stream(
            "python",
            "default",
            timedelta(minutes=5),
            [
                tag(
                    "3.5",
                    spec("DockerImage", centos),
                    [event(f"{centos}@{digest}", digest, timedelta(minutes=5))],
                ),
                tag(
                    "latest",
                    spec("ImageStreamImage", f"python@{digest}", "default"),
                    [event(f"{centos}@{digest}", digest, timedelta(seconds=70))],
                ),
            ],
        ),
        NOW,
    )
    assert described.split("Tags:\t\t\t2\n\n", 1)[1] == (
        "latest\n"
        f"  tagged from python@{digest}\n"
        "\n"
        f"  * {centos}@{digest}\n"
        "      About a minute ago\n"
        "\n"
        "3.5\n"
        f"  tagged from {centos}\n"
        "\n"
        f"  * {centos}@{digest}\n"
        "      5 minutes ago\n"
    )
    assert "Unique Images:\t\t1\n" in described


def test_source_lines_and_markers_follow_oc_format_image_stream_tags():
    # The anchors of oc's TestFormatImageStreamTags.
    failure = {
        "type": "ImportSuccess",
        "status": "False",
        "reason": "NotFound",
        "message": "Image not found due to error",
        "generation": 4,
        "last_transition_time": at(timedelta(seconds=30)),
    }
    described = describe_stream(
        stream(
            "bar",
            "foo",
            timedelta(hours=1),
            [
                tag("pushed", None, [event("registry:5000/foo/bar@sha256:4bd26", "", HOUR)]),
                tag("empty", spec()),
                tag("copied", spec("ImageStreamTag", "foo/bar:latest", "other")),
                tag("pinned", spec("ImageStreamImage", "mysql/latest@sha256:e52c65")),
                tag("scheduled", spec("DockerImage", "mysql", scheduled=True, insecure=True)),
                tag("referenced", spec("DockerImage", "mysql:2", reference=True)),
                tag("local", spec("DockerImage", "a/b:1", reference_policy="Local"), pending=True),
                tag("failed", spec("DockerImage", "a/b:2"), conditions=[failure]),
            ],
        ),
        NOW,
    )
    for expected in [
        "pushed\n  no spec tag\n\n  * registry:5000/foo/bar@sha256:4bd26\n      About an hour ago\n",
        "empty\n  tag without source image\n",
        "copied\n  tagged from other/foo/bar:latest\n",
        "pinned\n  tagged from mysql/latest@sha256:e52c65\n",
        "scheduled\n  updates automatically from registry mysql\n"
        "    will use insecure HTTPS or HTTP connections\n",
        "referenced\n  reference to registry mysql:2\n",
        "local\n  tagged from a/b:1\n    prefer registry pullthrough when referencing this tag\n\n"
        "  ~ importing latest image ...\n",
        "failed\n  tagged from a/b:2\n\n"
        "  ! error: Import failed (NotFound): Image not found due to error\n      30 seconds ago\n",
    ]:
        assert expected in described
    assert "Tags:\t\t\t8\n" in described


def test_an_image_id_differing_from_the_pull_spec_is_shown_after_the_age():
    digest = "sha256:" + "1" * 64
    described = describe_stream(
        stream(
            "app",
            "team",
            HOUR,
            [tag("1", spec("DockerImage", "a/b:1"), [event("a/b:1", digest, 2 * HOUR)])],
        ),
        NOW,
    )
    assert f"  * a/b:1\n      2 hours ago\t{digest}\n" in described


def test_a_stream_without_tags_says_none():
    described = describe_stream(stream("empty", "team", MINUTE, []), NOW)
    assert described.endswith("Image Lookup:\t\tlocal=false\nTags:\t\t\t<none>\n")
    assert "Unique Images" not in described


def ruby_image() -> dict:
    layers = [
        (39_380_000, "sha256:0c673eb68f88b60abc0cba5ef8ddb9c256eaf627bfd49eb7e09a2369bb2e5db0"),
        (1_744, "sha256:028bdc977650c08fcf7a2bb4a7abefaead71ff8a84a55ed5940b6dbc7e466045"),
        (110_200_000, "sha256:7dc7e3a6b8c1f36a3c5fb0c2a2f8e8a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2e4"),
        (115_900_000, "sha256:1f2e3d4c5b6a79881726354433221100ffeeddccbbaa99887766554433221100"),
    ]
    return {
        "digest": A9C7,
        "media_type": "application/vnd.docker.distribution.manifest.v2+json",
        "reference": f"image-registry.openshift-image-registry.svc:5000/myproject/ruby@{A9C7}",
        "imported": at(timedelta(minutes=12)),
        "created": at(timedelta(days=9)),
        "author": "",
        "architecture": "amd64",
        "os": "linux",
        "variant": "",
        "labels": {
            "name": "ubi9/ruby-31",
            "io.k8s.display-name": "Ruby 3.1",
            "io.openshift.s2i.scripts-url": "image:///usr/libexec/s2i",
        },
        "env": [
            "PATH=/opt/app-root/src/bin:/opt/app-root/bin:/usr/local/sbin:/usr/local/bin:"
            "/usr/sbin:/usr/bin:/sbin:/bin",
            "RUBY_VERSION=3.1",
            "HOME=/opt/app-root/src",
        ],
        "cmd": ["/bin/sh", "-c", "$STI_SCRIPTS_PATH/usage"],
        "entrypoint": ["container-entrypoint"],
        "exposed_ports": ["8080/tcp"],
        "user": "1001",
        "working_dir": "/opt/app-root/src",
        "volumes": [],
        "layers": [{"digest": d, "size": s, "media_type": ""} for s, d in layers],
        "size": 265_500_000,
        "manifests": [],
    }


RUBY_IMAGE_DESCRIBED = f"""\
Image Name:     {A9C7}
Docker Image:   image-registry.openshift-image-registry.svc:5000/myproject/ruby@{A9C7}
Name:           {A9C7}
Created:        12 minutes ago
Description:    Build and run Ruby 3.1 applications on UBI 9.
Annotations:    image.openshift.io/dockerLayersOrder=ascending
                sampleRepo=https://github.com/sclorg/ruby-ex.git
                supports=ruby:3.1,ruby
                tags=builder,ruby
Image Size:     265.5MB in 4 layers
Layers:         39.38MB sha256:0c673eb68f88b60abc0cba5ef8ddb9c256eaf627bfd49eb7e09a2369bb2e5db0
                1.744kB sha256:028bdc977650c08fcf7a2bb4a7abefaead71ff8a84a55ed5940b6dbc7e466045
                110.2MB sha256:7dc7e3a6b8c1f36a3c5fb0c2a2f8e8a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2e4
                115.9MB sha256:1f2e3d4c5b6a79881726354433221100ffeeddccbbaa99887766554433221100
Image Created:  9 days ago
Author:         <none>
Arch:           amd64
Entrypoint:     container-entrypoint
Command:        /bin/sh -c $STI_SCRIPTS_PATH/usage
Working Dir:    /opt/app-root/src
User:           1001
Exposes Ports:  8080/tcp
Docker Labels:  io.k8s.display-name=Ruby 3.1
                io.openshift.s2i.scripts-url=image:///usr/libexec/s2i
                name=ubi9/ruby-31
Environment:    PATH=/opt/app-root/src/bin:/opt/app-root/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
                RUBY_VERSION=3.1
                HOME=/opt/app-root/src
"""


def test_an_image_reads_like_oc_describe_image():
    annotations = {
        "description": "Build and run Ruby 3.1 applications on UBI 9.",
        "image.openshift.io/dockerLayersOrder": "ascending",
        "sampleRepo": "https://github.com/sclorg/ruby-ex.git",
        "supports": "ruby:3.1,ruby",
        "tags": "builder,ruby",
    }
    described = describe_image(ruby_image(), A9C7, NOW, annotations=annotations)
    assert described.expandtabs(8) == RUBY_IMAGE_DESCRIBED
    assert "Layers:\t\t39.38MB\tsha256:0c673eb" in described


def test_an_index_lists_its_platforms():
    index = ruby_image() | {
        "layers": [],
        "size": 0,
        "created": None,
        "architecture": "",
        "manifests": [
            {"digest": "sha256:1234", "platform": {"os": "linux", "architecture": "amd64"}},
            {
                "digest": "sha256:d8fa",
                "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
            },
            {"digest": "sha256:7b7e", "platform": {"os": "linux", "architecture": "ppc64le"}},
        ],
    }
    described = describe_image(index, "", NOW)
    assert "Layer Size:\t0B\n" in described
    assert "Image Created:\t<none>\n" in described
    # oc describer_test anchor: Manifests:\slinux/amd64\ssha256:1234
    assert (
        "Arch:\t\t<none>\n"
        "Manifests:\tlinux/amd64\tsha256:1234\n"
        "\t\tlinux/arm64/v8\tsha256:d8fa\n"
        "\t\tlinux/ppc64le\tsha256:7b7e\n"
    ) in described
    assert "Image Name" not in described


def test_small_images_anchor_like_oc_describer_test():
    image = ruby_image() | {
        "layers": [
            {"digest": "sha256:1234", "size": 3409},
            {"digest": "sha256:5678", "size": 1021},
        ],
        "size": 4430,
        "cmd": [],
        "entrypoint": [],
        "env": [],
        "labels": {},
        "exposed_ports": [],
    }
    described = describe_image(image, "python:3.5", NOW)
    assert described.startswith(f"Image Name:\tpython:3.5\nDocker Image:\t{image['reference']}\n")
    assert "Image Size:\t4.43kB in 2 layers\n" in described
    assert "Layers:\t\t3.409kB\tsha256:1234\n\t\t1.021kB\tsha256:5678\n" in described
    assert "Command:\t<none>\n" in described
    assert "Exposes Ports:\t<none>\n" in described
    assert "Docker Labels:\t<none>\n" in described
    assert "Environment" not in described
