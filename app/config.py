"""All settings of ConvLab in one place (environment prefix ``CONVLAB_``).

Every limit that protects the server (sizes, compute, body bytes, concurrency) lives here and
in the request schemas that read it; nothing else calls ``os.getenv``.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """``templates`` or ``static``: inside the installed package (``pip install .`` maps them
    to app/templates and app/static, see setup.py), else beside app/ in a source checkout."""
    installed = Path(str(resources.files("app"))) / name
    return installed if installed.is_dir() else PROJECT_ROOT / name


def _default_session_data_dir() -> Path:
    share = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return share / "convlab"


def _default_data_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "convlab" / "mnist"


class Settings(BaseSettings):
    """Runtime configuration. Override any field with ``CONVLAB_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="CONVLAB_", extra="ignore")

    # -- serving -------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Interface uvicorn binds to.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port uvicorn listens on.")
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=64,
        description="uvicorn worker processes (default: the CPU count).",
    )
    log_level: str = Field("info", description="uvicorn log level.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS; empty turns CORS off."
    )
    max_concurrency: int = Field(
        32, ge=1, le=10_000, description="Requests served at once per worker before 503."
    )
    threadpool_size: int = Field(
        4,
        ge=1,
        le=256,
        description="Threads per worker running the CPU-bound (plain def) endpoints; other "
        "admitted requests wait without a thread. Bounds memory (a decoded PNG can take "
        "~100 MB) and GIL contention.",
    )

    static_max_age_seconds: int = Field(
        300,
        ge=0,
        le=86_400,
        description="How long browsers may reuse a static file before revalidating it (ETag).",
    )

    # -- paths ---------------------------------------------------------------------------------
    templates_dir: Path = Field(
        default_factory=lambda: resource_dir("templates"), description="Jinja2 page templates."
    )
    static_dir: Path = Field(
        default_factory=lambda: resource_dir("static"), description="CSS, ES modules, images."
    )
    weights_dir: Path = PACKAGE_ROOT / "mnist" / "weights"
    data_dir: Path = Field(
        default_factory=_default_data_dir, description="Where the MNIST IDX files live."
    )

    # -- model ---------------------------------------------------------------------------------
    torch_threads: int = Field(1, ge=1, le=64, description="torch intra-op threads per worker.")

    # -- limits --------------------------------------------------------------------------------
    max_body_bytes: int = Field(1_000_000, ge=1_024, description="Request body limit (413).")
    body_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=600,
        description="A request body must arrive within this many seconds (408 after it); a "
        "body still arriving holds no compute slot.",
    )
    max_response_bytes: int = Field(
        5_000_000,
        ge=10_000,
        description="Largest JSON answer; a request whose answer could be larger is refused "
        "with a 422 before any work (estimated from the shapes).",
    )
    max_side: int = Field(256, ge=4, le=4096, description="Largest input height or width.")
    max_channels: int = Field(64, ge=1, le=1024, description="Most input or output channels.")
    max_kernel_side: int = Field(64, ge=1, le=1024, description="Largest kernel height or width.")
    max_macs: int = Field(
        10_000_000, ge=1_000, description="Most multiply-adds one request may ask for."
    )
    max_matrix_entries: int = Field(
        1_000_000, ge=100, description="Largest (H_out*W_out) x (H*W) matrix returned."
    )
    max_output_values: int = Field(
        1_048_576, ge=1_000, description="Most numbers one conv/pool/shift output may hold."
    )
    max_layers: int = Field(
        64, ge=1, le=1024, description="Most layers in a receptive-field stack."
    )
    max_erf_macs: int = Field(
        50_000_000,
        ge=1_000,
        description="Most forward multiply-adds of one effective-receptive-field request "
        "(torch forward + backward, ~0.3 s at this limit on one thread).",
    )
    max_answer_chars: int = Field(
        200, ge=10, le=10_000, description="Longest answer text an exercise check accepts."
    )
    max_png_bytes: int = Field(700_000, ge=1_024, description="Largest decoded PNG payload.")
    max_png_side: int = Field(2048, ge=28, description="Largest PNG width or height.")

    # -- experiments (students train networks: app.experiments) ----------------------------------
    experiment_max_train_size: int = Field(
        10_000, ge=10, le=60_000, description="Most training examples of one experiment run."
    )
    experiment_max_test_size: int = Field(
        2_000, ge=100, le=2_000, description="Most test examples one run evaluates on."
    )
    experiment_max_epochs: int = Field(30, ge=1, le=1_000, description="Most epochs of one run.")
    experiment_max_parameters: int = Field(
        1_000_000, ge=1_000, description="Most parameters of any one network a run builds."
    )
    experiment_max_macs: float = Field(
        1.5e11,
        ge=1e6,
        description="Compute budget of one run in multiply-adds (3 per training example and "
        "model per forward multiply-add, 1 per evaluated example); ~1 min on one core.",
    )
    experiment_max_run_seconds: float = Field(
        20.0,
        gt=0,
        description="Longest predicted CPU time of one run on one core (steps and their "
        "overhead, multiply-adds; app.experiments.cost): a config over it is refused (422).",
    )
    experiment_max_seconds: float = Field(
        300.0, gt=0, description="A run still training after this many seconds is stopped."
    )
    experiment_runs_at_once: int = Field(
        1, ge=1, le=64, description="Training processes per worker; more runs at once get 503."
    )
    experiment_cache_size: int = Field(
        64, ge=0, le=10_000, description="Finished results kept (by config); 0 keeps none."
    )
    experiment_cache_dir: Path = Field(
        default_factory=lambda: Path(tempfile.gettempdir()) / "convlab-experiment-cache",
        description="Where finished results are kept, shared by the server's workers.",
    )
    experiment_nice: int = Field(
        10, ge=0, le=19, description="How much lower the training processes' CPU priority is."
    )

    # -- class sessions (app.sessions) ----------------------------------------------------------
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the sessions database, e.g. "
        "postgresql+psycopg://user:password@host:5432/convlab for several replicas; unset: "
        "an SQLite file in session_data_dir.",
    )
    session_data_dir: Path = Field(
        default_factory=_default_session_data_dir,
        description="Where the default SQLite sessions database (sessions.db) lives.",
    )
    pg_bin: Path | None = Field(
        None,
        description="Where initdb and pg_ctl are, for `convlab db scratch` and the tests' "
        "throw-away PostgreSQL; unset: the newest /usr/lib/postgresql/*/bin, or the PATH.",
    )
    session_ttl_hours: float = Field(
        12, gt=0, le=24 * 30, description="A session and all its data are deleted this late."
    )
    session_max_sessions: int = Field(
        200, ge=1, le=100_000, description="Live sessions on the server (one database)."
    )
    session_max_participants: int = Field(
        500, ge=1, le=100_000, description="Participants one session admits."
    )
    session_max_questions: int = Field(
        200, ge=1, le=100_000, description="Questions one session may ask."
    )
    session_max_rounds: int = Field(3, ge=1, le=20, description="Rounds (votes) per question.")
    session_max_nickname_chars: int = Field(40, ge=1, le=200, description="Longest nickname.")
    session_joins_per_minute: int = Field(
        600,
        ge=1,
        description="Joins per client IP and minute, per worker (a class may share one NAT).",
    )
    session_code_guesses_per_minute: int = Field(
        20, ge=1, description="Unknown session codes per client IP and minute, per worker."
    )
    session_creates_per_hour: int = Field(
        30, ge=1, description="Sessions created per client IP and hour, per worker."
    )
    session_poll_seconds: float = Field(
        0.25,
        gt=0,
        le=5,
        description="How often each worker reads new session events for the streams it holds.",
    )
    session_sweep_seconds: float = Field(
        60, gt=0, description="How often each worker deletes expired sessions."
    )

    def sessions_database_url(self) -> str:
        """``database_url``, or the SQLite file in ``session_data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.session_data_dir / 'sessions.db'}"

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        levels = {"critical", "error", "warning", "info", "debug", "trace"}
        if value.lower() not in levels:
            raise ValueError(f"log_level must be one of {sorted(levels)}, got {value!r}")
        return value.lower()

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if value.startswith(("postgresql://", "postgres://")):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite:", "postgresql+psycopg:")):
            raise ValueError(
                "database_url must be an sqlite:/// or postgresql+psycopg:// URL, got "
                f"{value.split(':', 1)[0]!r}"
            )
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
