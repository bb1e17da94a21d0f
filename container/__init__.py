"""Build, tag and push the training image (`make push-image`); the image itself is container/Dockerfile."""
