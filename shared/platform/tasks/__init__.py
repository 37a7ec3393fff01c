"""`/admin/tasks` and the `tasks` command: the jobs, their last runs, the queue, the workers."""
