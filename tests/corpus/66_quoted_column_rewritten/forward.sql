UPDATE public."Settings" SET "Value" = upper("Value");
