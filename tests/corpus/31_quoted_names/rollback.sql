DROP TABLE public."Order Notes";
