"""Services tier: the business logic. Services call the store and speak in domain objects and errors;
they never import boto3 or pynamodb."""
