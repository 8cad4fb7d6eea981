from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

CODE_VALIDATOR = RegexValidator(
    r"^[A-Z0-9-]+$", "Use capital letters, digits and hyphens only."
)


def validate_no_surrounding_whitespace(value):
    if value != value.strip():
        raise ValidationError("Remove the spaces at the start or end.")
