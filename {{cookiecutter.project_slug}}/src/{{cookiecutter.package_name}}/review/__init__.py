"""What a pull request's reviewers read: the report comparing it with its base."""
