"""topicwatch orchestration: Prefect flows, tasks, schedules and the command line."""

from flows import prefect_env

prefect_env.apply()
