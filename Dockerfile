# Hospital-server image. Not built in CI (no Docker engine there); deploy/install.sh,
# which this file only runs, is exercised by .ci/run.
FROM python:3.11-slim-bookworm
COPY . /src
RUN bash /src/deploy/install.sh && rm -rf /src
USER lnapp
ENV TMPDIR=/dev/shm LN_ADDRESS=0.0.0.0
EXPOSE 8501
CMD ["/opt/ln-cohort/run.sh"]
