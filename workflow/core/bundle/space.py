"""The ``Dockerfile`` of a Docker Space that trains the bundle and reports on its app port.

The base image is pinned by its exact version tag: CUDA 12.8.1 with cuDNN, runtime flavour, on
Ubuntu 24.04, whose Python 3.12 the pinned transformers needs (3.11 or newer; Ubuntu 22.04
ships 3.10). torch's wheel brings its own CUDA libraries, so the image's CUDA only has to suit
the host's driver. Spaces run the container as uid 1000; Ubuntu 24.04 images already hold a
user ``ubuntu`` with that id, which is replaced by the conventional ``user``.
"""

from __future__ import annotations

APP_PORT = 7860
"""The port a Docker Space's app listens on (``app_port`` in the README header)."""
BASE_IMAGE = "nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04"
"""The pinned base image of the Space."""
BUNDLE_FILES = ("train.py", "status.py", "train.yaml", "datasets.json", "manifest.json")
"""The files copied into the image besides ``requirements.txt`` and ``data/``."""


def dockerfile(*, with_data: bool) -> str:
    """The Space's Dockerfile: requirements first (a cached layer), then the bundle, then the app."""
    data = "COPY --chown=user data/ data/\n" if with_data else ""
    return (
        f"FROM {BASE_IMAGE}\n"
        "\n"
        "ENV DEBIAN_FRONTEND=noninteractive \\\n"
        "    PYTHONUNBUFFERED=1 \\\n"
        "    PIP_NO_CACHE_DIR=1 \\\n"
        "    PIP_DISABLE_PIP_VERSION_CHECK=1\n"
        "\n"
        "RUN apt-get update \\\n"
        " && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \\\n"
        " && rm -rf /var/lib/apt/lists/* \\\n"
        " && (userdel --remove ubuntu 2>/dev/null || true) \\\n"
        " && useradd --create-home --uid 1000 user\n"
        "\n"
        "USER user\n"
        "ENV HOME=/home/user \\\n"
        "    HF_HOME=/home/user/.cache/huggingface \\\n"
        "    PATH=/home/user/venv/bin:$PATH\n"
        "WORKDIR /home/user/app\n"
        "\n"
        "RUN python3 -m venv /home/user/venv\n"
        "COPY --chown=user requirements.txt .\n"
        "RUN pip install -r requirements.txt\n"
        "\n"
        f"COPY --chown=user {' '.join(BUNDLE_FILES)} ./\n"
        f"{data}"
        "\n"
        f"EXPOSE {APP_PORT}\n"
        f'CMD ["python", "status.py", "--port", "{APP_PORT}", "--", "python", "train.py"]\n'
    )
